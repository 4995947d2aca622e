"""Run a grid of models x datasets x seeds into the store, with progress, resume and a summary."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import keras

import zoo
from benchmarks.baselines import baselines_for
from benchmarks.data import Dataset, dataset_class, open_dataset
from benchmarks.devices import DevicePlan
from benchmarks.harness import Budget, run, run_key
from benchmarks.metrics import PRIMARY
from results.record import RunRecord
from results.store import Store


@dataclass(frozen=True)
class PlannedRun:
    """One cell of the grid, and whether the store already holds it with status ok."""

    model: str
    dataset: str
    seed: int
    budget: Budget
    key: str
    done: bool
    hparams: dict[str, Any] | None = None


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


def plan_grid(models: list[str], datasets: dict[str, Budget], seeds: list[int], suite: str,
              store: Store, baselines: bool = True) -> list[PlannedRun]:
    """Every (dataset, model, seed) cell, marked done if already stored with status ok.

    With ``baselines``, each dataset also gets its family's non-neural baselines as cells.
    """
    for name in datasets:
        dataset_class(name)
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed {seed!r} is not an integer")
    completed = store.completed()
    plan = []
    for dataset, budget in datasets.items():
        extra = [b.name for b in baselines_for(dataset_class(dataset).family)] if baselines else []
        for model in models + extra:
            key = run_key(model, dataset, budget, None)
            for seed in seeds:
                done = (model, dataset, seed, suite, key) in completed
                plan.append(PlannedRun(model, dataset, seed, budget, key, done))
    return plan


def plan_config(model: str, dataset: str, budget: Budget, hparams: dict[str, Any] | None,
                seeds: list[int], suite: str, store: Store) -> list[PlannedRun]:
    """One model config (``hparams`` over the defaults) on ``dataset`` for each seed."""
    key = run_key(model, dataset, budget, hparams)
    completed = store.completed()
    return [PlannedRun(model, dataset, seed, budget, key, (model, dataset, seed, suite, key)
                       in completed, hparams) for seed in seeds]


class _EpochProgress(keras.callbacks.Callback):
    """Advances a rich progress task by one per epoch."""

    def __init__(self, progress: Any, task: Any) -> None:
        super().__init__()
        self.progress, self.task = progress, task

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        loss = (logs or {}).get("val_loss", float("nan"))
        self.progress.update(self.task, advance=1, description=f"  epoch {epoch + 1} "
                             f"val_loss {loss:.4f}")


def run_grid(plan: list[PlannedRun], store: Store, device: DevicePlan, suite: str,
             console: Any, data_dir: str | None = None) -> list[RunRecord]:
    """Run every not-done cell, storing each record as it finishes; returns the new records.

    ``data_dir`` holds local copies of canonical archives (see :func:`open_dataset`).
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    todo = [p for p in plan if not p.done]
    records = []
    data: Dataset | None = None
    provenance_stored = False
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        grid = progress.add_task("grid", total=len(todo))
        for cell in todo:
            progress.update(grid, description=f"{cell.model} / {cell.dataset} / seed {cell.seed}")
            epochs = progress.add_task("  epoch", total=cell.budget.epochs)
            if data is None or data.name != cell.dataset:  # the plan is dataset-major
                data, provenance_stored = open_dataset(cell.dataset, data_dir), False
            record = run(cell.model, data, cell.seed, cell.budget, device, suite=suite,
                         hparams=cell.hparams, callbacks=[_EpochProgress(progress, epochs)])
            if record.dataset_fingerprint and not provenance_stored:
                store.add_dataset(data.name, data.fingerprint, data.info())
                provenance_stored = True
            store.add(record)
            records.append(record)
            progress.remove_task(epochs)
            progress.advance(grid)
            if record.status != "ok":
                console.print(f"[yellow]{cell.model} / {cell.dataset} / seed {cell.seed}: "
                              f"{record.status}: {record.error}[/]")
    return records


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
