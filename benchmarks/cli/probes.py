"""What ``seqzoo diagnose`` and ``seqzoo scale`` share: their flags, and running a planned
sweep through the isolated workers like any grid."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from benchmarks.cli.args import (
    comma_list,
    console,
    print_estimate,
    print_plan,
    run_settings,
    settings_flags,
    store_flag,
    tracking_flags,
    worker_flags,
)

if TYPE_CHECKING:
    from results.store import Store


def lengths(text: str) -> list[int]:
    """A comma list of integers; their range is checked by the sweep's settings."""
    values = []
    for token in comma_list(text):
        try:
            values.append(int(token))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{token!r} is not an integer length") from None
    return values


def sweep_flags(p: argparse.ArgumentParser) -> None:
    """The flags both sweeps share: store, workers, execution settings, tracking, dry run."""
    store_flag(p)
    worker_flags(p)
    settings_flags(p)
    tracking_flags(p)
    p.add_argument("--dry-run", action="store_true", help="print the cells, then stop")


def run_planned(args: argparse.Namespace, setup: tuple, plan: list, store: Store, suite: str,
                what: str) -> int:
    """Run a diagnose or scale plan, made against ``store``, through the workers (``setup``:
    what :func:`~benchmarks.cli.args.worker_setup` gave), then print where the rows went."""
    backend, device, pool = setup
    from benchmarks.grids.plan import Execution, elapsed, run_grid
    from benchmarks.grids.tracking import MlflowLogger, log_records, tensorboard_dir
    from benchmarks.plugins import plugin_references

    out = console()
    mlflow = MlflowLogger(f"seqzoo-{suite}") if args.mlflow else None
    tensorboard = tensorboard_dir(args.tensorboard, backend, out)
    done = sum(p.done for p in plan)
    out.print(f"seqzoo {suite}: {what} = {len(plan)} cells ({done} already in "
              f"{store.path}), backend {backend}, device {device.kind} ({device.name}), "
              f"{len(pool.slots)} worker(s) x {pool.slots[0].threads} threads")
    if args.dry_run:
        print_estimate(out, plan, store, len(pool.slots))
        print_plan(out, plan)
        return 0
    start = time.perf_counter()
    execution = Execution(backend, device.kind, plugins=plugin_references(args.plugin),
                          tensorboard=tensorboard, settings=run_settings(args))
    records = run_grid(plan, store, suite, execution, pool, out)
    failed = sum(r.status != "ok" for r in records)
    out.print(f"{len(records)} cells in {elapsed(start)} ({failed} not ok), stored in "
              f"{store.path}; `seqzoo report --store {args.store}` adds the section")
    if mlflow:  # the whole grid: runs stored earlier and not logged yet too
        log_records(mlflow, store.records([execution.cell(p, suite).key for p in plan]), out)
    return 0
