"""What isolation costs: ``python -m benchmarks.perf.workers``.

Runs one suite's grid (default ``quick``) three ways, each as its own command into its own new
store, one after another on the same machine, and prints the wall times:
- in-process: every cell through ``harness.run`` in one long-lived process (the old loop);
- isolated, 1 worker: ``seqzoo run --workers 1`` (a fresh process per cell);
- isolated, 2 workers: ``seqzoo run --workers 2``.
Then the median worker start-up (spawn, Python and backend imports) over a few starts, and the
per-model peak host memory of the isolated 1-worker grid. Target: isolated with 1 worker costs
at most 15% more wall time than in-process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODES = {"inprocess": None, "workers1": 1, "workers2": 2}


def run_in_process(suite_name: str, store_path: str) -> None:
    """Every cell of the suite's grid in this process, one after another (the old loop)."""
    from benchmarks.cell.harness import run
    from benchmarks.data import open_dataset
    from benchmarks.grids.plan import plan_grid, suite_models
    from benchmarks.grids.suites import get_suite
    from results.store import Store

    suite = get_suite(suite_name)
    store = Store(store_path)
    plan = plan_grid(suite_models(suite), dict(suite.datasets),
                     list(suite.seeds), suite_name, store)
    data = None
    for cell in plan:
        if data is None or data.name != cell.dataset:
            data = open_dataset(cell.dataset)
        store.add(run(cell.model, data, cell.seed, cell.budget, "auto", suite=suite_name))


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def worker_startup_seconds(starts: int) -> list[float]:
    """Wall seconds of ``starts`` fresh worker processes that import what a cell needs."""
    code = "import benchmarks.grids.workers.child, benchmarks.cell.harness, benchmarks.data"
    return [_timed([sys.executable, "-c", code]) for _ in range(starts)]


def main() -> None:
    """Time the grid three ways and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="quick", help="the suite to time (default: quick)")
    parser.add_argument("--out", default="seqzoo-results/perf-workers",
                        help="folder for the three stores (default: %(default)s)")
    parser.add_argument("--modes", default=",".join(MODES),
                        help=f"comma list of {', '.join(MODES)} (default: all)")
    parser.add_argument("--starts", type=int, default=5,
                        help="worker start-ups to time (default: %(default)s)")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for mode in modes:
        if mode not in MODES:
            parser.error(f"mode {mode!r} is not allowed; use {', '.join(MODES)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    for mode in modes:
        store = out / f"{mode}.sqlite"
        store.unlink(missing_ok=True)
        if MODES[mode] is None:
            command = [sys.executable, "-m", "benchmarks.perf.workers", "--_inprocess",
                       args.suite, str(store)]
        else:
            command = [sys.executable, "-m", "benchmarks.cli", "run", "--suite", args.suite,
                       "--workers", str(MODES[mode]), "--store", str(store)]
        seconds[mode] = _timed(command)
        print(f"{mode:>10}: {seconds[mode]:7.1f} s", flush=True)
    if "inprocess" in seconds:
        for mode in (m for m in seconds if m != "inprocess"):
            print(f"{mode} / inprocess wall time: {seconds[mode] / seconds['inprocess']:.3f}")
    startups = worker_startup_seconds(args.starts)
    print(f"worker start-up (spawn + imports), median of {len(startups)}: "
          f"{statistics.median(startups):.2f} s")
    if "workers1" in seconds:
        _print_memory(out / "workers1.sqlite")


def _print_memory(store_path: Path) -> None:
    from results.store import Store

    runs = Store(store_path).runs()
    print("\npeak host memory per run (isolated, 1 worker), MiB: peak, at start, own share")
    for row in runs.sort_values(["dataset", "peak_host_mib"]).itertuples():
        print(f"  {row.dataset:18} {row.model:18} {row.peak_host_mib:8.0f} "
              f"{row.host_mib_at_start:8.0f} {row.peak_host_mib - row.host_mib_at_start:8.0f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--_inprocess"]:
        run_in_process(*sys.argv[2:4])
    else:
        main()
