"""Models and datasets from outside seqzoo.

Two ways in, both loaded by every ``seqzoo`` command (and by every worker process):

- ``--plugin PATH_OR_MODULE``: a one-file ``.py`` plugin or an importable module
  (:func:`load_plugin`);
- the entry-point groups ``seqzoo.models`` and ``seqzoo.datasets`` of installed packages
  (:func:`load_entry_points`), e.g. in the package's ``setup.cfg``::

      [options.entry_points]
      seqzoo.models =
          my_lstm = my_package.models
      seqzoo.datasets =
          my_data = my_package.data:MyDataset

An entry point may name a module whose ``@register_model`` / ``@register_dataset`` decorators
register on import, or an object: a builder function is registered with
:func:`zoo.register_model`, a :class:`~benchmarks.data.Dataset` subclass with
:func:`~benchmarks.data.register_dataset`. :func:`origin` says where each registered entry
came from, for ``seqzoo list`` and ``seqzoo data list``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

GROUPS = ("seqzoo.models", "seqzoo.datasets")
#: module name -> where it came from, for the modules plugins loaded
_ORIGINS: dict[str, str] = {}


def load_plugin(reference: str) -> ModuleType:
    """Import ``reference``: a ``.py`` file path or an importable module name.

    Raises:
        ValueError: a missing file or a module that cannot be imported, in one line.
    """
    path = Path(reference)
    if reference.endswith(".py"):
        if not path.is_file():
            raise ValueError(f"plugin file {reference} does not exist")
        name = f"seqzoo_plugin_{path.stem}"
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[name] = module
        _ORIGINS[name] = f"plugin file {path.resolve()}"
        _exec(spec.loader.exec_module, module, f"plugin file {reference}")  # type: ignore[union-attr]
        return module
    if importlib.util.find_spec(reference.partition(".")[0]) is None:
        raise ValueError(f"plugin module {reference!r} cannot be imported (no module named "
                         f"{reference.partition('.')[0]!r})")
    module = _exec(importlib.import_module, reference, f"plugin module {reference}")
    _ORIGINS.setdefault(module.__name__, f"plugin module {reference}")
    return module


def plugin_references(references: list[str]) -> tuple[str, ...]:
    """``--plugin`` values as workers on this machine load them: ``.py`` files as absolute
    paths (a worker may run in another folder), module names as given."""
    return tuple(str(Path(r).resolve()) if r.endswith(".py") else r for r in references)


def provenance(reference: str) -> str:
    """How a record names a plugin it ran with: a module by name, a ``.py`` file by path and
    the first 12 hex digits of its SHA-256, so an edited file reads as another plugin."""
    if not reference.endswith(".py"):
        return reference
    try:
        digest = hashlib.sha256(Path(reference).read_bytes()).hexdigest()[:12]
    except OSError as error:  # gone since it loaded: the row still says which it was
        return f"{reference} ({error.strerror})"
    return f"{reference} (sha256 {digest})"


def _exec(call: Any, argument: Any, what: str) -> Any:
    """``call(argument)``; any error inside the user's code becomes one line naming ``what``
    and the exception."""
    try:
        return call(argument)
    except Exception as error:  # the user's code may raise anything while it loads
        raise ValueError(f"{what} failed to load: {type(error).__name__}: {error}") from None


def load_entry_points() -> list[str]:
    """Load every ``seqzoo.models`` and ``seqzoo.datasets`` entry point of the installed
    packages (once per process); the names loaded. One that fails to load is a one-line
    warning on stderr naming its package, and the others load."""
    loaded = []
    for group in GROUPS:
        for point in entry_points(group=group):
            dist = point.dist.name if point.dist else "?"
            what = f"entry point {point.name} = {point.value} ({group}, package {dist})"
            try:
                obj = _exec(lambda p: p.load(), point, what)
            except ValueError as error:
                print(f"seqzoo: warning: {error}; skipped", file=sys.stderr)
                continue
            module = obj.__name__ if inspect.ismodule(obj) else obj.__module__
            _ORIGINS.setdefault(module, f"package {dist}")
            _register(obj, group)
            loaded.append(point.name)
    return loaded


def _register(obj: Any, group: str) -> None:
    """Register an entry point's object unless importing its module already did."""
    import zoo
    from benchmarks.data import Dataset, list_datasets, register_dataset

    if group == "seqzoo.models" and inspect.isfunction(obj) \
            and obj.__name__ not in zoo.list_models():
        zoo.register_model(obj)
    elif group == "seqzoo.datasets" and inspect.isclass(obj) and issubclass(obj, Dataset) \
            and obj.name not in list_datasets():
        register_dataset(obj)


def origin(module: str) -> str:
    """Where the code of ``module`` came from: built-in, a package, a plugin file or module."""
    if module.partition(".")[0] in ("zoo", "benchmarks"):
        return "built-in"
    return _ORIGINS.get(module, f"module {module}")
