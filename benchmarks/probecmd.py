"""``seqzoo diagnose`` and ``seqzoo scale``: the memory-length and scaling sweeps, planned
here and run through the isolated workers like any grid."""

from __future__ import annotations

import argparse
import time

from benchmarks.cliargs import (
    comma_list,
    console,
    run_settings,
    seconds,
    seeds,
    settings_flags,
    store_flag,
    tracking_flags,
    worker_flags,
    worker_setup,
)
from benchmarks.plugins import plugin_references
from benchmarks.tracking import MlflowLogger, log_records, tensorboard_dir


def lengths(text: str) -> list[int]:
    """A comma list of integers; their range is checked by the sweep's settings."""
    values = []
    for token in comma_list(text):
        try:
            values.append(int(token))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{token!r} is not an integer length") from None
    return values


def add_parsers(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``diagnose`` and ``scale`` to the ``seqzoo`` subcommands."""
    p = sub.add_parser("diagnose", parents=parents,
                       help="memory length: every model on a diagnostic probe at growing lags, "
                            "equal optimizer steps")
    p.add_argument("--task", required=True, help="adding or delayed_recall")
    p.add_argument("--lags", type=lengths, default=[50, 100, 200, 400, 800],
                   help="comma list of lags (default: 50,100,200,400,800)")
    p.add_argument("--models", type=comma_list, default=["*"],
                   help="comma list of model ids or shell patterns (default: every model)")
    p.add_argument("--seeds", type=seeds, default=[0, 1, 2],
                   help="comma list of training seeds (default: 0,1,2)")
    p.add_argument("--steps", type=int, default=600,
                   help="optimizer steps per run, the same for every model and lag "
                        "(default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=32, help="default: %(default)s")
    p.add_argument("--learning-rate", type=float, default=1e-3, help="default: %(default)s")
    p.add_argument("--eval-samples", type=int, default=1000,
                   help="validation and test samples per lag (default: %(default)s)")
    store_flag(p)
    worker_flags(p)
    settings_flags(p)
    tracking_flags(p)
    p.add_argument("--dry-run", action="store_true", help="print the cells, then stop")
    p.set_defaults(func=diagnose)

    p = sub.add_parser("scale", parents=parents,
                       help="cost vs sequence length: step time, tokens/s, latency, memory and "
                            "FLOPs per model and length")
    p.add_argument("--models", type=comma_list, default=["*"],
                   help="comma list of model ids or shell patterns (default: every model)")
    p.add_argument("--lengths", type=lengths, default=[64, 128, 256, 512, 1024, 2048, 4096],
                   help="comma list of sequence lengths (default: 64,128,...,4096)")
    p.add_argument("--batch", type=int, default=16, help="training batch (default: %(default)s)")
    p.add_argument("--width", type=int, default=64,
                   help="hidden width: units of the recurrent families, embed_dim of the "
                        "others (default: %(default)s)")
    p.add_argument("--steps", type=int, default=5,
                   help="timed training steps after 2 warm-up steps (default: %(default)s)")
    p.add_argument("--time-cap", type=seconds, default=300.0,
                   help="seconds one (model, length) may take before it is stored as "
                        "timeout (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    store_flag(p)
    worker_flags(p)
    settings_flags(p)
    tracking_flags(p)
    p.add_argument("--dry-run", action="store_true", help="print the cells, then stop")
    p.set_defaults(func=scale)


def run_planned(args: argparse.Namespace, setup: tuple, plan: list, suite: str,
                what: str) -> int:
    """Run a diagnose or scale plan through the workers (``setup``: what
    :func:`~benchmarks.cliargs.worker_setup` gave), then print where the rows went."""
    backend, device, pool = setup
    from benchmarks.grid import Execution, elapsed, run_grid
    from results.store import Store

    out = console()
    mlflow = MlflowLogger(f"seqzoo-{suite}") if args.mlflow else None
    tensorboard = tensorboard_dir(args.tensorboard, backend, out)
    store = Store(args.store)
    done = sum(p.done for p in plan)
    out.print(f"seqzoo {suite}: {what} = {len(plan)} cells ({done} already in "
              f"{store.path}), backend {backend}, device {device.kind} ({device.name}), "
              f"{len(pool.slots)} worker(s) x {pool.slots[0].threads} threads")
    if args.dry_run:
        for p in plan:
            out.print(f"  {'skip' if p.done else 'run '} {p.model} / {p.dataset} / seed "
                      f"{p.seed}")
        return 0
    start = time.perf_counter()
    execution = Execution(backend, args.device, plugins=plugin_references(args.plugin),
                          tensorboard=tensorboard, settings=run_settings(args))
    records = run_grid(plan, store, suite, execution, pool, out)
    failed = sum(r.status != "ok" for r in records)
    out.print(f"{len(records)} cells in {elapsed(start)} ({failed} not ok), stored in "
              f"{store.path}; `seqzoo report --store {args.store}` adds the section")
    if mlflow:  # the whole grid: runs stored earlier and not logged yet too
        log_records(mlflow, store.records([execution.cell(p, suite).key for p in plan]), out)
    return 0


def diagnose(args: argparse.Namespace) -> int:
    """``seqzoo diagnose``: every model at every lag of one probe."""
    from benchmarks.diagnose import SUITE, DiagnoseSettings, plan_diagnose
    from benchmarks.grid import resolve_models
    from results.store import Store

    settings = DiagnoseSettings(args.task, tuple(args.lags), args.steps, args.batch_size,
                                args.learning_rate, args.eval_samples)
    settings.check()
    models = resolve_models(args.models)
    setup = worker_setup(args)
    plan = plan_diagnose(models, settings, args.seeds, Store(args.store), run_settings(args))
    return run_planned(args, setup, plan, SUITE, f"{args.task}, {len(models)} models x "
                                          f"{len(settings.lags)} lags x {len(args.seeds)} "
                                          f"seeds, {args.steps} steps each")


def scale(args: argparse.Namespace) -> int:
    """``seqzoo scale``: every model at every length, one isolated cell each."""
    from benchmarks.grid import resolve_models
    from benchmarks.scale import SUITE, ScaleSettings, plan_scale
    from results.store import Store

    settings = ScaleSettings(tuple(args.lengths), args.batch, args.width, args.steps,
                             args.time_cap)
    settings.check()
    if args.timeout_per_run is None:  # a backstop for one step that alone passes the cap
        args.timeout_per_run = 2 * settings.time_cap + 120
    models = resolve_models(args.models)
    setup = worker_setup(args)
    plan = plan_scale(models, settings, args.seed, Store(args.store), run_settings(args))
    return run_planned(args, setup, plan, SUITE, f"{len(models)} models x {len(settings.lengths)} "
                                          f"lengths, batch {settings.batch}, width "
                                          f"{settings.width}")
