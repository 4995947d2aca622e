"""``seqzoo worker``: claim and run queued cells from a shared store until none are left."""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.cli.args import STORE_HELP, console, worker_flags, worker_setup


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``seqzoo worker``."""
    p.add_argument("--store", required=True, help=STORE_HELP)
    worker_flags(p)
    p.add_argument("--wait", action="store_true",
                   help="keep polling an empty queue for cells enqueued later (stop with "
                        "Ctrl-C)")


@dataclass(frozen=True)
class WorkerRequest:
    """One validated ``seqzoo worker``: the store, and the (backend, device, pool) setup."""

    store: str
    setup: tuple[str, Any, Any]


def main(args: argparse.Namespace) -> int:
    """``seqzoo worker``."""
    return work(WorkerRequest(args.store, worker_setup(args)))


def work(req: WorkerRequest) -> int:
    """Run cells from the store's queue until it is empty (or forever, with ``--wait``)."""
    from benchmarks.grids.plan import elapsed
    from benchmarks.grids.workers.pool import Pool
    from benchmarks.grids.workers.slots import worker_id
    from results.store import Store

    _, device, pool = req.setup
    out = console()
    store = Store(req.store)
    out.print(f"seqzoo worker {worker_id()}: {len(pool.slots)} slots x "
              f"{pool.slots[0].threads} threads on {device.kind} ({device.name}), store "
              f"{store.path}{', waiting for work' if pool.wait else ''}")
    start = time.perf_counter()
    Pool(store, pool, out).run()
    out.print(f"queue empty after {elapsed(start)}")
    return 0
