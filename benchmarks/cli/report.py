"""``seqzoo report``: leaderboard.md/.csv/.html (or the tuning comparison) from the store."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from benchmarks.cli.args import dataset_list, store_flag


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``seqzoo report``."""
    store_flag(p)
    p.add_argument("--out", default="seqzoo-results/report",
                   help="output folder (default: seqzoo-results/report)")
    p.add_argument("--suite", help="only runs of this suite")
    p.add_argument("--datasets", type=dataset_list,
                   help="comma list of dataset ids, parameters included "
                        "(adding:lag=5,n_train=64)")
    p.add_argument("--tuning", action="store_true",
                   help="write the tuning comparison (tuning.md/.csv/.html) instead")
    p.add_argument("--search", help="with --tuning: only this search id")


@dataclass(frozen=True)
class ReportRequest:
    """One validated ``seqzoo report``: which store, what to write, and where."""

    store: str
    out: str
    suite: str | None = None
    datasets: tuple[str, ...] | None = None
    tuning: bool = False
    search: str | None = None


def main(args: argparse.Namespace) -> int:
    """``seqzoo report``."""
    if "://" not in args.store and not Path(args.store).exists():
        raise ValueError(f"store {args.store} does not exist; run `seqzoo run --suite quick` "
                         "first or pass --store PATH")
    return report(ReportRequest(args.store, args.out, args.suite,
                                tuple(args.datasets) if args.datasets else None, args.tuning,
                                args.search))


def report(req: ReportRequest) -> int:
    """Write the report files and print their paths."""
    from results.report import write_report
    from results.store import Store
    from results.tuning_report import write_tuning_report

    store = Store(req.store)
    written = (write_tuning_report(store, req.out, req.search) if req.tuning
               else write_report(store, req.out, req.suite,
                                 list(req.datasets) if req.datasets else None))
    for path in written:
        print(f"wrote {path}")
    return 0
