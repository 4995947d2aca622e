"""Run a grid of models x datasets x seeds into the store, with progress, resume and a summary."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import zoo
from benchmarks.cell.baselines import baselines_for
from benchmarks.cell.harness import Budget, run_key
from benchmarks.cell.metrics import PRIMARY
from benchmarks.cell.settings import DEFAULT_SETTINGS, RunSettings
from benchmarks.data import canonical_id, dataset_class
from benchmarks.grids.suites import Suite
from benchmarks.grids.workers.pool import Pool, PoolSettings
from results.queue import Cell
from results.record import RunRecord
from results.store import Store


@dataclass(frozen=True)
class PlannedRun:
    """One cell of the grid, and whether the store already holds it with status ok.

    ``job`` is what the worker does besides a plain training run: ``{"gradient_flow": True}``
    (measure it during training, :mod:`benchmarks.cell.gradflow`) or ``{"scale": settings}`` (a
    cost measurement instead, :mod:`benchmarks.grids.scale`).
    """

    model: str
    dataset: str
    seed: int
    budget: Budget
    key: str
    done: bool
    hparams: dict[str, Any] | None = None
    job: dict[str, Any] | None = None


def resolve_models(tokens: list[str]) -> list[str]:
    """Model ids from exact ids and shell patterns; unknown ids and empty patterns are errors."""
    names: list[str] = []
    for token in tokens:
        if any(ch in token for ch in "*?["):
            matched = zoo.list_models(token)
            if not matched:
                raise ValueError(f"model pattern {token!r} matches no model; "
                                 f"known: {', '.join(zoo.list_models())}")
        else:
            matched = [zoo.get_model_info(token).name]
        names += [m for m in matched if m not in names]
    return names


def one_per_family(models: list[str]) -> list[str]:
    """One model id per family of ``models``, in order of first appearance: the id that spells
    the family's name (``xlstm`` for xLSTM, ``attention_lstm`` for attention-LSTM), else the
    first id in alphabetical order."""
    def squash(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    by_family: dict[str, list[str]] = {}
    for name in models:
        by_family.setdefault(zoo.get_model_info(name).family, []).append(name)
    return [min(names, key=lambda name: (squash(name) != squash(family), name))
            for family, names in by_family.items()]


def suite_models(suite: Suite) -> list[str]:
    """The model ids of ``suite``'s patterns; one per family where the suite says so."""
    models = resolve_models(list(suite.models))
    return one_per_family(models) if suite.per_family else models


class Completed:
    """Which cells the store already holds with status ok, for planning on ``where``, the
    (backend, device kind) the plan runs on.

    A cell is done when an ok row has its key (which holds ``where``), or, for rows written
    before the key held it, an ok row with the legacy key whose ``backend`` and ``device``
    columns say it ran on ``where``.
    """

    def __init__(self, store: Store, suite: str, where: tuple[str, str]) -> None:
        rows = store.completed()
        self.suite, self.where = suite, where
        self.keys = {row[:5] for row in rows}
        self.placed = rows

    def __call__(self, model: str, dataset: str, seed: int, key: str, legacy: str) -> bool:
        """Whether (model, dataset, seed) under ``key`` (or ``legacy`` here) is done."""
        return ((model, dataset, seed, self.suite, key) in self.keys
                or (model, dataset, seed, self.suite, legacy, *self.where) in self.placed)


def keys(model: str, dataset: str, budget: Budget, hparams: dict[str, Any] | None,
         settings: RunSettings, where: tuple[str, str]) -> tuple[str, str]:
    """The run key of a cell on ``where``, and its legacy key (see :class:`Completed`)."""
    return (run_key(model, dataset, budget, hparams, settings=settings, where=where),
            run_key(model, dataset, budget, hparams, settings=settings))


def plan_grid(models: list[str], datasets: dict[str, Budget], seeds: list[int], suite: str,
              store: Store, where: tuple[str, str], baselines: bool = True,
              settings: RunSettings = DEFAULT_SETTINGS) -> list[PlannedRun]:
    """Every (dataset, model, seed) cell on ``where`` (backend, device kind), marked done if
    already stored with status ok there.

    With ``baselines``, each dataset also gets its family's non-neural baselines as cells.
    ``settings`` other than the defaults are part of each model cell's key.
    """
    datasets = {canonical_id(name): budget for name, budget in datasets.items()}
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed {seed!r} is not an integer")
    done = Completed(store, suite, where)
    plan = []
    for dataset, budget in datasets.items():
        extra = [b.name for b in baselines_for(dataset_class(dataset).family)] if baselines else []
        for model in models + extra:
            key, legacy = keys(model, dataset, budget, None,
                               DEFAULT_SETTINGS if model in extra else settings, where)
            for seed in seeds:
                plan.append(PlannedRun(model, dataset, seed, budget, key,
                                       done(model, dataset, seed, key, legacy)))
    return plan


def plan_config(model: str, dataset: str, budget: Budget, hparams: dict[str, Any] | None,
                seeds: list[int], suite: str, store: Store, where: tuple[str, str],
                settings: RunSettings = DEFAULT_SETTINGS) -> list[PlannedRun]:
    """One model config (``hparams`` over the defaults) on ``dataset`` for each seed."""
    key, legacy = keys(model, dataset, budget, hparams, settings, where)
    done = Completed(store, suite, where)
    return [PlannedRun(model, dataset, seed, budget, key, done(model, dataset, seed, key, legacy),
                       hparams) for seed in seeds]


@dataclass(frozen=True)
class Execution:
    """How a grid's cells run, copied into every cell so any worker can run it.

    Attributes:
        backend: the Keras backend (``tensorflow``, ``jax`` or ``torch``).
        device: the device kind the grid was planned for and is keyed by (``cpu``, ``gpu``
            or ``tpu``); ``auto`` lets each worker choose.
        data_dir: local copies of canonical archives (see :func:`open_dataset`).
        plugins: modules or ``.py`` files each worker imports before it runs a cell.
        tensorboard: a folder for per-run TensorBoard logs (TensorFlow backend), or ``None``.
        settings: XLA and precision (see :mod:`benchmarks.cell.settings`).
    """

    backend: str
    device: str = "auto"
    data_dir: str | None = None
    plugins: tuple[str, ...] = ()
    tensorboard: str | None = None
    settings: RunSettings = DEFAULT_SETTINGS

    def cell(self, planned: PlannedRun, suite: str) -> Cell:
        """The queue cell of ``planned``."""
        return Cell(planned.model, planned.dataset, planned.seed, suite, planned.key,
                    {"budget": asdict(planned.budget), "hparams": planned.hparams,
                     "backend": self.backend, "device": self.device,
                     "data_dir": self.data_dir, "plugins": list(self.plugins),
                     "settings": asdict(self.settings),
                     **({"tensorboard": self.tensorboard} if self.tensorboard else {}),
                     **(planned.job or {})})


def enqueue_grid(plan: list[PlannedRun], store: Store, suite: str, execution: Execution,
                 max_attempts: int = 2) -> list[Cell]:
    """Write the plan's not-done cells to the store's queue; the cells."""
    cells = [execution.cell(p, suite) for p in plan if not p.done]
    store.enqueue(cells, max_attempts)
    return cells


def run_grid(plan: list[PlannedRun], store: Store, suite: str, execution: Execution,
             pool: PoolSettings, console: Any, max_attempts: int = 2) -> list[RunRecord]:
    """Enqueue the plan's not-done cells and work until every one of them is finished, here
    or by workers elsewhere; their records, in plan order."""
    keys = [c.key for c in enqueue_grid(plan, store, suite, execution, max_attempts)]
    Pool(store, pool, console, keys).run()
    return store.records(keys)


def summary_tables(records: list[RunRecord]) -> list[Any]:
    """Per dataset, a rich table of models ranked by the primary metric, with cost columns."""
    from rich.table import Table

    tables = []
    for dataset in dict.fromkeys(r.dataset for r in records):
        rows = [r for r in records if r.dataset == dataset]
        ok = [r for r in rows if r.status == "ok"]
        kind = "classification" if any(r.accuracy is not None for r in ok) else "forecasting"
        metric, higher = PRIMARY[kind]
        second = "macro_f1" if kind == "classification" else "rel_mae"
        ok.sort(key=lambda r: getattr(r, metric) * (-1 if higher else 1))
        table = Table(title=f"{dataset}: ranked by {metric} ({'higher' if higher else 'lower'} "
                            "is better)")
        table.caption = ("params in millions; train samples/s steady state; p50 latency at "
                         "batch 1; train s includes compile")
        for column in ("#", "model", "seed", metric, second, "params", "train/s", "p50 ms",
                       "train s", "kernel"):
            table.add_column(column, justify="left" if column in ("model", "kernel") else "right",
                             no_wrap=column == "model")
        for rank, r in enumerate(ok, 1):
            name = r.model + (" (baseline)" if r.is_baseline else "")
            table.add_row(str(rank), name, str(r.seed), f"{getattr(r, metric):.4f}",
                          f"{getattr(r, second):.3f}", f"{r.params / 1e6:.2f}",
                          "" if r.train_samples_per_s is None else f"{r.train_samples_per_s:,.0f}",
                          f"{r.latency_p50_ms:.2f}",
                          f"{r.train_seconds:.0f}", r.kernel or "")
        for r in rows:
            if r.status != "ok":
                table.add_row("-", r.model, str(r.seed), r.status, (r.error or "")[:40],
                              *([""] * 5))
        tables.append(table)
    return tables


def elapsed(start: float) -> str:
    """Wall time since ``start`` as ``XmYYs``."""
    seconds = int(time.perf_counter() - start)
    return f"{seconds // 60}m{seconds % 60:02d}s"
