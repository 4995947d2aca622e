"""``seqzoo diagnose``: memory, every model on a diagnostic probe at growing lags or lengths."""

from __future__ import annotations

import argparse
from typing import Any

from benchmarks.cli.args import comma_list, run_settings, seeds, worker_setup
from benchmarks.cli.probes import lengths, run_planned, sweep_flags

PROBE_NAMES = "adding, delayed_recall, selective_copy, mqar or induction_heads"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``seqzoo diagnose``."""
    p.add_argument("--task", required=True, help=PROBE_NAMES)
    p.add_argument("--preset", default="cpu",
                   help="the probe's default sweep and budget: cpu (default); paper (the "
                        "published setting, for a GPU; selective_copy, mqar, induction_heads); "
                        "control (selective_copy: the tokens at fixed positions)")
    p.add_argument("--lags", type=lengths, default=None,
                   help="adding, delayed_recall: comma list of lags (default: 50,100,200,400,800)")
    p.add_argument("--lengths", type=lengths, default=None,
                   help="selective_copy, mqar, induction_heads: comma list of sequence lengths "
                        "(selective_copy: the noise positions L; default: the preset's)")
    p.add_argument("--test-lengths", type=lengths, default=None,
                   help="induction_heads: comma list of lengths the trained weights are also "
                        "tested at (default: the preset's; cpu: 128,...,4096)")
    p.add_argument("--test-samples", type=int, default=256,
                   help="induction_heads: test sequences per test length (default: %(default)s)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="a fixed dataset parameter for every point, e.g. variable=false "
                        "(selective copying's control) or kv=8; repeatable")
    p.add_argument("--models", type=comma_list,
                   help="comma list of model ids or shell patterns (default: one model of "
                        "every family, as in the quick suite: xlstm, not mlstm and slstm)")
    p.add_argument("--seeds", type=seeds, default=[0, 1, 2],
                   help="comma list of training seeds (default: 0,1,2)")
    p.add_argument("--steps", type=int, default=None,
                   help="optimizer steps per run, the same for every model and point "
                        "(default: the preset's; on the cpu presets 600 for the lag probes, "
                        "1,500 for the recall probes)")
    p.add_argument("--batch-size", type=int, default=None, help="default: the preset's")
    p.add_argument("--learning-rate", type=float, default=None, help="default: the preset's")
    p.add_argument("--eval-samples", type=int, default=1000,
                   help="validation and test samples per point (default: %(default)s)")
    sweep_flags(p)


def fixed_params(task: str, pairs: list[str]) -> dict[str, Any]:
    """``--param KEY=VALUE`` pairs, typed as the dataset's defaults; one-line errors."""
    from benchmarks.data.base import split_spec

    if not pairs:
        return {}
    bad = [pair for pair in pairs if "=" not in pair]
    if bad:
        raise ValueError(f"--param {bad[0]!r} is not allowed; use KEY=VALUE")
    return split_spec(f"{task}:{','.join(pairs)}")[1]


def request(args: argparse.Namespace) -> Any:
    """The checked :class:`~benchmarks.grids.diagnose.DiagnoseSettings` of the flags."""
    from benchmarks.data import dataset_class
    from benchmarks.grids.diagnose import DiagnoseSettings, preset

    chosen = preset(args.task, args.preset)
    sweep = dataset_class(args.task).sweep
    wrong = "--lengths" if sweep == "lag" else "--lags"
    if (args.lengths if sweep == "lag" else args.lags) is not None:
        raise ValueError(f"{wrong} is not allowed for {args.task}; it sweeps {sweep}s: use "
                         f"--{sweep}s")
    points = args.lags if sweep == "lag" else args.lengths
    points = list(chosen.points) if points is None else points
    params = {**chosen.params, **fixed_params(args.task, args.param)}

    def given(value: Any, default: Any) -> Any:
        return default if value is None else value

    settings = DiagnoseSettings(
        args.task, tuple(points), given(args.steps, chosen.steps),
        given(args.batch_size, chosen.batch_size),
        given(args.learning_rate, chosen.learning_rate),
        args.eval_samples, tuple(sorted(params.items())),
        tuple(args.test_lengths if args.test_lengths is not None else chosen.test_lengths),
        args.test_samples,
        tuple(sorted((model, tuple(sorted(h.items()))) for model, h in chosen.hparams.items())),
        chosen.kv_every)
    settings.check()
    return settings


def main(args: argparse.Namespace) -> int:
    """``seqzoo diagnose``: the settings (a frozen, checked request), then the sweep."""
    from benchmarks.grids.diagnose import SUITE, plan_diagnose
    from benchmarks.grids.plan import one_per_family, resolve_models
    from results.store import Store

    settings = request(args)
    setup = worker_setup(args)
    models = (resolve_models(args.models) if args.models
              else one_per_family(resolve_models(["*"])))
    store = Store(args.store, create=not args.dry_run)
    plan = plan_diagnose(models, settings, args.seeds, store, (setup[0], setup[1].kind),
                         run_settings(args))
    changed = "".join(f" ({model}: {', '.join(f'{k}={v}' for k, v in items)})"
                      for model, items in settings.hparams if model in models)
    return run_planned(args, setup, plan, store, SUITE, f"{args.task}, {len(models)} models x "
                                                 f"{len(settings.lags)} {settings.sweep}s x "
                                                 f"{len(args.seeds)} seeds, {settings.steps} steps "
                                                 f"each{changed}")
