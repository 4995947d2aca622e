"""Named dataset configs: ``seqzoo data add NAME --from KIND --param key=value ...``.

A config is a JSON file ``$SEQZOO_DATA/user/NAME.json`` holding a registered dataset kind
(``series_csv``, ``text_csv``, ``text_dir``, ``audio_dir``, or any other) and its parameters.
The registry loads configs on demand (:func:`load_user_dataset`), so ``NAME`` works wherever a
dataset id does: ``run``, ``tune``, ``diagnose``, ``scale``, ``data info``, suites, and every
worker that shares the data folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from benchmarks.data.base import (
    _DATASETS,
    Dataset,
    add_finder,
    dataset_class,
    register_dataset,
    typed_params,
)
from benchmarks.data.cache import data_root
from benchmarks.data.wheels import DataError

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def user_dir() -> Path:
    """Where named configs live: ``$SEQZOO_DATA/user``."""
    return data_root() / "user"


def parse_params(kind: type[Dataset], pairs: list[str]) -> dict[str, Any]:
    """``["key=value", ...]`` typed like ``kind``'s defaults; a relative ``path`` made
    absolute, so the config works from any folder."""
    params = typed_params(kind, pairs, kind.name,
                          lambda pair: f"--param {pair!r} is not allowed for {kind.name}")
    if params.get("path"):
        params["path"] = str(Path(params["path"]).expanduser().resolve())
    return params


def add_user_dataset(name: str, kind_name: str, pairs: list[str]) -> tuple[Path, Dataset]:
    """Check, prepare and save config ``name``; its path and the prepared dataset.

    Raises:
        ValueError: a bad name, kind or parameter; DataError: input files that fail.
    """
    if not NAME.match(name):
        raise ValueError(f"dataset name {name!r} is not allowed; use lower-case letters, "
                         "digits and _ (starting with a letter)")
    path = user_dir() / f"{name}.json"
    if name in _DATASETS and not path.exists():
        raise ValueError(f"dataset name {name!r} is taken by a built-in or plugin dataset")
    kind = dataset_class(kind_name)
    if getattr(kind, "config_path", None):
        raise ValueError(f"--from {kind_name!r} is itself a saved config; use its kind, "
                         f"{kind.__mro__[1].name}")
    params = parse_params(kind, pairs)
    data = _subclass(name, kind, params, path)()
    data.arrays()  # prepare now: a bad file fails here, before the config is saved
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"from": kind.name, "params": params}, indent=2) + "\n")
    _DATASETS.pop(name, None)
    register_dataset(type(data))
    return path, data


def _subclass(name: str, kind: type[Dataset], params: dict[str, Any], path: Path
              ) -> type[Dataset]:
    return type(name, (kind,), {
        "name": name, "defaults": {**kind.defaults, **params}, "config_path": str(path),
        "file_kind": False,
        "__doc__": f"{kind.__doc__.partition(chr(10))[0]} Saved config {path.name}.",
        "__module__": kind.__module__})


def load_user_dataset(name: str) -> bool:
    """Register config ``name`` if ``$SEQZOO_DATA/user/NAME.json`` exists; whether it did."""
    path = user_dir() / f"{name}.json"
    if not NAME.match(name) or not path.is_file():
        return False
    try:
        config = json.loads(path.read_text())
        kind = dataset_class(config["from"])
        params = dict(config["params"])
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(f"dataset config {path} is corrupt ({error}); fix it or run seqzoo "
                        "data add again") from None
    register_dataset(_subclass(name, kind, params, path))
    return True


def load_user_datasets() -> list[str]:
    """Register every saved config; their names."""
    folder = user_dir()
    names = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
    return [n for n in names if n in _DATASETS or load_user_dataset(n)]


def _find(name: str | None) -> None:
    """The registry's finder: every saved config (``None``), or the one called ``name``."""
    if name is None:
        load_user_datasets()
    else:
        load_user_dataset(name)


add_finder(_find)
