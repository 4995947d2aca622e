"""``seqzoo diagnose``: memory length, every model on a diagnostic probe at growing lags."""

from __future__ import annotations

import argparse

from benchmarks.cli.args import comma_list, run_settings, seeds, worker_setup
from benchmarks.cli.probes import lengths, run_planned, sweep_flags


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``seqzoo diagnose``."""
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
    sweep_flags(p)


def main(args: argparse.Namespace) -> int:
    """``seqzoo diagnose``: the settings (a frozen, checked request), then the sweep."""
    from benchmarks.grids.diagnose import SUITE, DiagnoseSettings, plan_diagnose
    from benchmarks.grids.plan import resolve_models
    from results.store import Store

    settings = DiagnoseSettings(args.task, tuple(args.lags), args.steps, args.batch_size,
                                args.learning_rate, args.eval_samples)
    settings.check()
    setup = worker_setup(args)
    models = resolve_models(args.models)
    plan = plan_diagnose(models, settings, args.seeds, Store(args.store),
                         (setup[0], setup[1].kind), run_settings(args))
    return run_planned(args, setup, plan, SUITE, f"{args.task}, {len(models)} models x "
                                          f"{len(settings.lags)} lags x {len(args.seeds)} "
                                          f"seeds, {args.steps} steps each")
