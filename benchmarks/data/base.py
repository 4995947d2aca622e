"""The dataset contract and registry: ``@register_dataset``, ``get_dataset``, ``list_datasets``."""

from __future__ import annotations

import fnmatch
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

import zoo
from benchmarks.data.cache import atomic_save_npz, data_root, load_npz, params_key
from benchmarks.data.wheels import DataError

SPLITS = ("train", "val", "test")
FAMILIES = ("sentiment", "speech", "forecasting", "diagnostic")


@dataclass(frozen=True)
class Limit:
    """The values one dataset parameter allows: a range (``low`` and ``high`` inclusive,
    ``high`` exclusive with ``open_high``), or a set of ``choices``."""

    low: float | None = None
    high: float | None = None
    open_high: bool = False
    choices: tuple[Any, ...] = ()

    def allows(self, value: Any) -> bool:
        """Whether ``value`` lies within the limit."""
        if self.choices:
            return value in self.choices
        if self.low is not None and value < self.low:
            return False
        return self.high is None or (value < self.high if self.open_high else value <= self.high)

    def describe(self, kind: type) -> str:
        """``an integer >= 2``, ``a number in [0, 1)``, ``one of error, drop``."""
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        what = "an integer" if kind is int else "a number"
        if self.low is not None and self.high is not None:
            return f"{what} in [{self.low:g}, {self.high:g}{')' if self.open_high else ']'}"
        if self.low is not None:
            return f"{what} >= {self.low:g}"
        return f"{what} {'<' if self.open_high else '<='} {self.high:g}"


def check_param(dataset: str, key: str, value: Any, default: Any, limit: Limit | None
                ) -> None:
    """``ValueError`` unless ``value`` has the type of ``default`` (an int passes for a
    float; anything passes for ``None``) and lies within ``limit``."""
    kind = type(default)
    if default is None:
        return
    wrong = (isinstance(value, bool) != (kind is bool)
             or not isinstance(value, (int, float) if kind is float else kind))
    allowed = limit.describe(kind) if limit else f"a {kind.__name__}"
    if wrong or (limit is not None and not limit.allows(value)):
        raise ValueError(f"dataset {dataset!r}: {key}={value!r} is not allowed; use {allowed}")


class Dataset(ABC):
    """A benchmark dataset: a TaskSpec, train/val/test arrays and provenance.

    Subclasses set the class attributes (``name``, ``family``, ``offline``, ``source``,
    ``licence``, ``version``, ``split_definition``, ``defaults``) and implement
    :meth:`prepare`, which must return ``(arrays, meta)``, deterministic for ``self.seed``:

    ``arrays`` (NumPy, every split non-empty, ``n`` rows per split):
        - ``x_train``, ``x_val``, ``x_test``: model inputs, ``(n, T)`` int token ids (0 is
          padding) for ``input="tokens"``, ``(n, T, F)`` float32 for ``input="features"``;
        - ``y_train``, ``y_val``, ``y_test``: ``(n,)`` int class ids for classification,
          ``(n, num_outputs)`` float32 for forecasting;
        - family ``sentiment`` only: ``text_train``, ``text_val``, ``text_test``, the raw
          texts (str) behind each row, for the text baselines;
        - optional, forecasting tasks: ``naive_<split>``, ``(n, num_outputs)``, the reference
          forecast that ``rel_mae`` divides by (default: the last observed target value,
          from ``target_index`` and ``residual``; the adding probe gives its own).
    ``meta`` (JSON-serialisable dict):
        - ``task``: the :class:`zoo.TaskSpec` fields of the arrays;
        - ``fingerprint``: sha256 of the source files the arrays come from;
        - family ``forecasting`` only: ``target_index`` (int, the column of ``x`` holding the
          target series, in ``y``'s units), ``target_scale`` (float, one unit of ``y`` in the
          target's original units, for MAE and RMSE; 1.0 when absent, as for the probes),
          ``residual`` (bool: ``y`` is the change from the window's last target value,
          ``x[:, -1, target_index]``, rather than the value) and ``season`` (int, steps in one
          season, ``1 <= season <= T``, for seasonal naive);
        - anything else is free-form provenance, shown by ``seqzoo data info`` and read by
          nothing else.

    :meth:`arrays` checks this contract (:func:`check_prepared`) and caches the result
    atomically, once per preprocessing parameters; every baseline of the dataset's family
    works on any dataset that meets it.

    Args:
        seed: seed of the split and any sampling.
        **params: dataset-specific preprocessing parameters (see ``defaults``).
    """

    name: ClassVar[str]
    family: ClassVar[str]
    offline: ClassVar[bool]
    source: ClassVar[str]
    licence: ClassVar[str]
    version: ClassVar[str]
    split_definition: ClassVar[str]
    defaults: ClassVar[dict[str, Any]] = {}
    #: the allowed values of the parameters that have limits (types come from ``defaults``)
    limits: ClassVar[dict[str, Limit]] = {}
    #: bump when preparation code changes, so stale cached arrays are never reused
    revision: ClassVar[int] = 1
    #: a kind of file dataset (``text_csv``, ...): a template for ``seqzoo data add``, not a
    #: dataset by itself
    file_kind: ClassVar[bool] = False

    def __init__(self, seed: int = 0, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise ValueError(f"dataset {self.name!r} has no parameter {unknown[0]!r}; "
                             f"allowed: {', '.join(self.defaults) or 'none'}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        for key, value in {**self.defaults, **params}.items():  # a saved config's too
            check_param(self.name, key, value, self.defaults[key], self.limits.get(key))
        self.seed = seed
        # the parameters the user gave name the data, defaults too; where the archives lie
        # (data_dir) does not
        self.given = {k: v for k, v in params.items() if k != "data_dir"}
        self.params = {**self.defaults, **params}
        self._arrays: dict[str, np.ndarray] | None = None
        self._meta: dict[str, Any] = {}

    @property
    def id(self) -> str:
        """The name the store and reports use: ``name``, or ``name:key=value,...`` with the
        parameters given, sorted, defaults included (e.g. ``adding:lag=100``)."""
        if not self.given:
            return self.name
        return f"{self.name}:" + ",".join(  # booleans as typed: true, false
            f"{k}={str(v).lower() if isinstance(v, bool) else v}"
            for k, v in sorted(self.given.items()))

    @abstractmethod
    def prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Read the source and return ``(arrays, meta)``; deterministic for ``self.seed``."""

    def cache_path(self) -> Path:
        """Where the prepared arrays for these parameters live."""
        key = params_key({"dataset": self.name, "version": self.version, "seed": self.seed,
                          "revision": self.revision, **self.params})
        return data_root() / "prepared" / f"{self.name}-{key}.npz"

    def arrays(self) -> dict[str, np.ndarray]:
        """All prepared arrays, from the cache or freshly prepared (then cached); a cached
        file that no longer meets the contract (written by older code) is prepared again."""
        if self._arrays is None:
            path = self.cache_path()
            cached = load_npz(path)
            if cached is not None and not self._meets_contract(cached):
                cached = None
            if cached is None:
                start = time.perf_counter()
                arrays, meta = self._prepare()
                meta["prepare_seconds"] = round(time.perf_counter() - start, 2)
                check_prepared(self, arrays, meta)
                cached = {**arrays, "meta": np.array(json.dumps(meta))}
                atomic_save_npz(path, cached)
            self._meta = json.loads(str(cached.pop("meta")))
            self._arrays = cached
        return self._arrays

    def _prepare(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """:meth:`prepare`; a missing TensorFlow (which Keras's ``TextVectorization`` needs on
        every backend) is one ``DataError`` line naming the dataset."""
        try:
            return self.prepare()
        except ImportError as error:
            if "tensorflow" not in f"{error.name} {error}":
                raise
            raise DataError(f"preparing dataset {self.name!r} needs TensorFlow ({error}); "
                            "pip install 'tensorflow>=2.20,<2.22', or prepare it where "
                            "TensorFlow is installed and share $SEQZOO_DATA") from None

    def _meets_contract(self, cached: dict[str, np.ndarray]) -> bool:
        try:
            meta = json.loads(str(cached["meta"]))
            check_prepared(self, {k: v for k, v in cached.items() if k != "meta"}, meta)
        except (KeyError, ValueError, DataError):
            return False
        return True

    def load(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` NumPy arrays of ``split`` (train, val or test)."""
        if split not in SPLITS:
            raise ValueError(f"split {split!r} is not allowed; use one of {', '.join(SPLITS)}")
        arrays = self.arrays()
        return arrays[f"x_{split}"], arrays[f"y_{split}"]

    def extra(self, key: str, split: str) -> np.ndarray:
        """A dataset-specific per-split array, e.g. ``extra("naive", "test")``."""
        return self.arrays()[f"{key}_{split}"]

    def task_spec(self) -> zoo.TaskSpec:
        """The :class:`zoo.TaskSpec` of the prepared arrays."""
        self.arrays()
        return zoo.TaskSpec(**self._meta["task"])

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """What the class declares, with nothing prepared: family, source, licence, version,
        splits, and each parameter's type, default and allowed values."""
        parameters = {}
        for key, default in cls.defaults.items():
            kind = type(default) if default is not None else str
            limit = cls.limits.get(key)
            parameters[key] = {"type": kind.__name__, "default": default,
                               "allowed": limit.describe(kind) if limit else f"a {kind.__name__}"
                               + (" or none" if default is None else "")}
        return {"name": cls.name, "family": cls.family, "offline": cls.offline,
                "file_kind": cls.file_kind, "source": cls.source, "licence": cls.licence,
                "version": cls.version, "split_definition": cls.split_definition,
                "parameters": parameters}

    def info(self) -> dict[str, Any]:
        """Provenance: what :meth:`describe` says, then the seed, splits and sizes, params
        and fingerprint."""
        arrays = self.arrays()
        return {**self.describe(), "seed": self.seed,
                "sizes": {s: int(len(arrays[f"y_{s}"])) for s in SPLITS},
                "params": self.params, **self._meta}

    @property
    def meta(self) -> dict[str, Any]:
        """The ``meta`` dict :meth:`prepare` returned (see the class docstring)."""
        self.arrays()
        return self._meta

    @property
    def fingerprint(self) -> str:
        """sha256 of the source files the arrays were prepared from."""
        self.arrays()
        return self._meta["fingerprint"]


#: the meta keys each family adds to ``task`` and ``fingerprint``
FAMILY_META = {"forecasting": ("target_index", "target_scale", "residual", "season")}
#: the extra per-split arrays each family adds to ``x_<split>`` and ``y_<split>``
FAMILY_ARRAYS = {"sentiment": ("text",)}


def check_prepared(data: Dataset, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Raise ``DataError`` naming the first way ``(arrays, meta)`` breaks the contract of
    :class:`Dataset`."""
    where = f"dataset {data.name!r} (parameters {data.params})"
    keys = [f"{a}_{s}" for a in ("x", "y", *FAMILY_ARRAYS.get(data.family, ())) for s in SPLITS]
    missing = [k for k in keys if k not in arrays]
    missing += [k for k in ("task", "fingerprint", *FAMILY_META.get(data.family, ()))
                if k not in meta]
    if missing:
        raise DataError(f"{where}: prepare() returned no {', '.join(missing)}; see the "
                        "Dataset docstring for what it must return")
    for split in SPLITS:
        n = len(arrays[f"y_{split}"])
        if n == 0:
            raise DataError(f"{where} has an empty {split} split")
        lengths = {k: len(arrays[k]) for k in keys if k.endswith(f"_{split}")}
        if len(set(lengths.values())) > 1:
            raise DataError(f"{where}: the {split} arrays differ in length: {lengths}")
    try:
        task = zoo.TaskSpec(**meta["task"])
    except (TypeError, ValueError) as error:
        raise DataError(f"{where}: meta['task'] is not a TaskSpec: {error}") from None
    if data.family == "forecasting" and not 1 <= meta["season"] <= (task.seq_len or 0):
        raise DataError(f"{where}: meta['season'] {meta['season']} is not allowed; use 1 to "
                        f"the lookback {task.seq_len}")


_DATASETS: dict[str, type[Dataset]] = {}
#: what registers datasets that live outside the code (saved configs), on demand
_FINDERS: list[Callable[[str | None], object]] = []


def add_finder(find: Callable[[str | None], object]) -> None:
    """Register ``find(name)``: called with an id the registry does not hold yet (before that
    is an error), and with ``None`` before a listing, to register what it finds."""
    _FINDERS.append(find)


def register_dataset(cls: type[Dataset]) -> type[Dataset]:
    """Class decorator: register a :class:`Dataset` subclass under ``cls.name``."""
    if cls.family not in FAMILIES:
        raise ValueError(f"dataset family {cls.family!r} is not one of {FAMILIES}")
    _DATASETS[cls.name] = cls
    return cls


def list_datasets(filter: str = "*", offline: bool | None = None,
                  family: str | None = None, file_kinds: bool = False) -> list[str]:
    """Registered dataset ids, filtered by shell pattern, offline-ness and family; with
    ``file_kinds``, the kinds of file dataset (``text_csv``, ...) instead."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"family {family!r} is not allowed; use one of {', '.join(FAMILIES)}")
    for find in _FINDERS:
        find(None)
    return sorted(n for n, c in _DATASETS.items()
                  if fnmatch.fnmatchcase(n, filter)
                  and (offline is None or c.offline == offline)
                  and (family is None or c.family == family)
                  and c.file_kind == file_kinds)


def split_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"adding:lag=200,n_train=512"`` -> ``("adding", {"lag": 200, "n_train": 512})``.

    Values take the type of the parameter's default; a bad name or value is a ``ValueError``.
    """
    name, _, tail = spec.partition(":")
    return name, typed_params(dataset_class(name), filter(None, tail.split(",")), spec,
                              lambda item: f"dataset parameter {item!r} in {spec!r} is not allowed")


def typed_params(cls: type[Dataset], items: Iterable[str], context: str,
                 describe: Callable[[str], str]) -> dict[str, Any]:
    """``["key=value", ...]`` as parameters of ``cls``, typed like its defaults; a bad name
    or value is a ``ValueError``: ``describe(item)`` says which item is not allowed,
    ``context`` where a value of the wrong type came from."""
    params: dict[str, Any] = {}
    for item in items:
        key, eq, raw = item.partition("=")
        if not eq or key not in cls.defaults:
            raise ValueError(f"{describe(item)}; use key=value with keys "
                             f"{', '.join(cls.defaults) or '(none)'}")
        params[key] = _typed(context, key, raw, cls.defaults[key])
    return params


def _typed(spec: str, key: str, raw: str, default: Any) -> Any:
    kind = type(default) if default is not None else str
    try:
        if kind is bool:
            return {"true": True, "false": False}[raw.lower()]
        return kind(raw)
    except (KeyError, ValueError):
        raise ValueError(f"dataset parameter {key}={raw!r} in {spec!r} is not a "
                         f"{kind.__name__}") from None


def dataset_class(name: str) -> type[Dataset]:
    """The registered class of ``name`` (parameters after ``:`` ignored); ``KeyError`` naming
    close ids if unknown."""
    name = name.partition(":")[0]
    for find in _FINDERS:
        if name not in _DATASETS:
            find(name)
    if name not in _DATASETS:
        raise zoo.UnknownNameError("dataset", name,
                                   list_datasets() + list_datasets(file_kinds=True))
    return _DATASETS[name]


def get_dataset(spec: str, seed: int = 0, **params: Any) -> Dataset:
    """An instance of dataset ``spec`` (an id, optionally with ``:key=value,...``
    parameters; ``params`` override them). Nothing is loaded until first use."""
    name, given = split_spec(spec)
    return dataset_class(name)(seed=seed, **{**given, **params})


def canonical_id(spec: str) -> str:
    """The id the store keeps for ``spec``: its parameters checked and sorted
    (``"adding:n_train=64,lag=200"`` -> ``"adding:lag=200,n_train=64"``)."""
    return get_dataset(spec).id


def open_dataset(spec: str, data_dir: str | None = None) -> Dataset:
    """Dataset ``spec``; ``data_dir`` (a folder of original archives) goes to the canonical
    loaders that read one, and is ignored by datasets that come from pinned wheels."""
    extra = {"data_dir": data_dir} if data_dir and "data_dir" in dataset_class(spec).defaults \
        else {}
    return get_dataset(spec, **extra)


def stratified_split(labels: np.ndarray, seed: int, fractions: tuple[float, float] = (0.8, 0.1)
                     ) -> dict[str, np.ndarray]:
    """Seeded stratified index split into train/val/test by ``fractions`` (rest is test)."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        a = int(round(len(idx) * fractions[0]))
        b = a + int(round(len(idx) * fractions[1]))
        for split, chunk in zip(SPLITS, (idx[:a], idx[a:b], idx[b:]), strict=True):
            parts[split].append(chunk)
    return {s: rng.permutation(np.concatenate(parts[s])) for s in SPLITS}
