"""``seqzoo scale``: cost vs sequence length, one isolated cell per (model, length)."""

from __future__ import annotations

import argparse

from benchmarks.cli.args import comma_list, run_settings, seconds, worker_setup
from benchmarks.cli.probes import lengths, run_planned, sweep_flags


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``seqzoo scale``."""
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
    sweep_flags(p)


def main(args: argparse.Namespace) -> int:
    """``seqzoo scale``: the settings (a frozen, checked request), then the sweep."""
    from benchmarks.grids.plan import resolve_models
    from benchmarks.grids.scale import SUITE, ScaleSettings, plan_scale
    from results.store import Store

    settings = ScaleSettings(tuple(args.lengths), args.batch, args.width, args.steps,
                             args.time_cap)
    settings.check()
    if args.timeout_per_run is None:  # a backstop for one step that alone passes the cap
        args.timeout_per_run = 2 * settings.time_cap + 120
    setup = worker_setup(args)
    models = resolve_models(args.models)
    store = Store(args.store, create=not args.dry_run)
    plan = plan_scale(models, settings, args.seed, store, (setup[0], setup[1].kind),
                      run_settings(args))
    return run_planned(args, setup, plan, store, SUITE, f"{len(models)} models x "
                                                 f"{len(settings.lengths)} lengths, batch "
                                                 f"{settings.batch}, width {settings.width}")
