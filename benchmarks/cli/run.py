"""``seqzoo run``: plan a grid of models x datasets x seeds, then run it (or enqueue it)."""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.cli.args import (
    DATA_DIR_HELP,
    comma_list,
    console,
    dataset_list,
    int_at_least,
    print_estimate,
    print_plan,
    run_settings,
    seeds,
    settings_flags,
    store_flag,
    tracking_flags,
    worker_flags,
    worker_setup,
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``seqzoo run``."""
    p.add_argument("--suite", help="a named suite: smoke, quick, parity, standard or canonical")
    p.add_argument("--models", type=comma_list,
                   help="comma list of model ids or shell patterns, e.g. 'lstm,*gru*' "
                        "(overrides the suite's)")
    p.add_argument("--datasets", type=dataset_list,
                   help="comma list of dataset ids, parameters included "
                        "(adding:lag=5,n_train=64,mr_polarity; overrides the suite's)")
    p.add_argument("--seeds", type=seeds, help="comma list of integer seeds, e.g. 0,1,2")
    p.add_argument("--epochs", type=int_at_least(1),
                   help="maximum epochs (overrides the suite's)")
    p.add_argument("--batch-size", type=int_at_least(1),
                   help="training batch size (overrides the suite's)")
    store_flag(p)
    worker_flags(p)
    settings_flags(p)
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    tracking_flags(p)
    p.add_argument("--no-baselines", action="store_true",
                   help="skip the non-neural baselines (majority, TF-IDF, naive, ...)")
    p.add_argument("--max-attempts", type=int_at_least(1), default=2,
                   help="claims of a cell before a lost worker's cell is recorded as failed "
                        "(default: %(default)s)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the grid and which runs the store already holds, then stop")
    p.add_argument("--enqueue-only", action="store_true",
                   help="write the grid's cells to the store's queue and stop; `seqzoo "
                        "worker` processes on any machine then run them")


@dataclass(frozen=True)
class RunRequest:
    """One validated ``seqzoo run``: the grid, where it goes and how it executes.

    ``datasets`` maps each canonical dataset id to its budget; ``setup`` is what
    :func:`~benchmarks.cli.args.worker_setup` gave (backend, device plan, pool settings).
    """

    suite: str
    models: tuple[str, ...]
    datasets: dict[str, Any]
    seeds: tuple[int, ...]
    store: str
    baselines: bool
    settings: Any
    setup: tuple[str, Any, Any]
    max_attempts: int = 2
    data_dir: str | None = None
    plugins: tuple[str, ...] = ()
    mlflow: bool = False
    tensorboard: str | None = None
    dry_run: bool = False
    enqueue_only: bool = False


def request(args: argparse.Namespace) -> RunRequest:
    """Check every flag of ``seqzoo run`` (ids, dataset parameters, backend, device) before
    anything is stored; the request."""
    if args.suite is None and not (args.models and args.datasets):
        raise ValueError("give --suite NAME, or both --models and --datasets")
    from benchmarks.cell.budget import Budget
    from benchmarks.data import canonical_id
    from benchmarks.grids.plan import resolve_models, suite_models
    from benchmarks.grids.suites import get_suite
    from benchmarks.plugins import plugin_references

    suite = get_suite(args.suite) if args.suite else None
    base = dict(suite.datasets) if suite else {}
    overrides = {"epochs": args.epochs, "batch_size": args.batch_size}
    datasets = {canonical_id(name): base.get(name, Budget()).replace(**overrides)
                for name in (args.datasets or list(base))}
    setup = worker_setup(args)
    models = resolve_models(args.models) if args.models else suite_models(suite)
    chosen = args.seeds if args.seeds is not None else list(suite.seeds if suite else [0])
    return RunRequest(
        suite=args.suite or "adhoc", models=tuple(models), datasets=datasets,
        seeds=tuple(chosen), store=args.store, baselines=not args.no_baselines,
        settings=run_settings(args), setup=setup, max_attempts=args.max_attempts,
        data_dir=args.data_dir, plugins=plugin_references(args.plugin), mlflow=args.mlflow,
        tensorboard=args.tensorboard, dry_run=args.dry_run, enqueue_only=args.enqueue_only)


def main(args: argparse.Namespace) -> int:
    """``seqzoo run``."""
    return run(request(args))


def run(req: RunRequest) -> int:
    """Plan the grid against the store, then print it, enqueue it or run it."""
    from benchmarks.grids.plan import (
        Execution,
        elapsed,
        enqueue_grid,
        plan_grid,
        run_grid,
        summary_tables,
    )
    from benchmarks.grids.tracking import MlflowLogger, log_records, tensorboard_dir
    from results.store import Store

    backend, device, pool = req.setup
    out = console()
    mlflow = MlflowLogger(f"seqzoo-{req.suite}") if req.mlflow else None
    tensorboard = tensorboard_dir(req.tensorboard, backend, out)
    store = Store(req.store, create=not req.dry_run)
    execution = Execution(backend, device.kind, req.data_dir, req.plugins, tensorboard,
                          req.settings)
    plan = plan_grid(list(req.models), req.datasets, list(req.seeds), req.suite, store,
                     (backend, device.kind), req.baselines, req.settings)
    skipped = sum(p.done for p in plan)
    baselines = " + baselines" if req.baselines else ""
    workers = f"{len(pool.slots)} worker{'s' if len(pool.slots) > 1 else ''} x " \
              f"{pool.slots[0].threads} threads"
    out.print(f"seqzoo run: suite {req.suite}, {len(req.models)} models{baselines} x "
              f"{len(req.datasets)} datasets x {len(req.seeds)} seeds = {len(plan)} runs "
              f"({skipped} already in {store.path}), backend {backend}, device {device.kind} "
              f"({device.name}), {workers}")
    if req.dry_run:
        print_estimate(out, plan, store, len(pool.slots))
        print_plan(out, plan, lambda p: f"  epochs={p.budget.epochs} batch={p.budget.batch_size}")
        return 0
    if req.enqueue_only:
        cells = enqueue_grid(plan, store, req.suite, execution, req.max_attempts)
        out.print(f"enqueued {len(cells)} cells in {store.path}; run them with `seqzoo "
                  "worker --store STORE` (the same --store) on any machine")
        return 0
    start = time.perf_counter()
    records = run_grid(plan, store, req.suite, execution, pool, out, req.max_attempts)
    for table in summary_tables(records):
        out.print(table)
    failed = sum(r.status != "ok" for r in records)
    out.print(f"{len(records)} runs in {elapsed(start)} ({failed} not ok), stored in "
              f"{store.path}")
    if mlflow:  # the whole grid: runs stored earlier and not logged yet too
        log_records(mlflow, store.records([execution.cell(p, req.suite).key for p in plan]),
                    out)
    return 0
