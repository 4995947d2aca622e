"""``seqzoo tune``: equal-budget keras-tuner searches, every trial stored, default vs tuned."""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.cli.args import (
    BACKEND_HELP,
    DATA_DIR_HELP,
    comma_list,
    console,
    int_at_least,
    seeds,
    store_flag,
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``seqzoo tune``."""
    p.add_argument("--models", type=comma_list, required=True,
                   help="comma list of model ids or shell patterns, e.g. 'lstm,gru,transformer'")
    p.add_argument("--dataset", required=True, help="the dataset id, e.g. mr_polarity")
    p.add_argument("--tuner", default="random",
                   help="random, hyperband or bayesian (default: %(default)s)")
    p.add_argument("--trials", type=int,
                   help="trials per model for random and bayesian (default: 10)")
    p.add_argument("--max-epochs", type=int,
                   help="hyperband: the most epochs one trial trains (default: the dataset's "
                        "quick-suite epochs); it sets the number of trials")
    p.add_argument("--executions", type=int, default=1,
                   help="trainings per trial, seeds SEED, SEED+1, ...; the trial's score is "
                        "their mean, every one is stored (default: %(default)s)")
    p.add_argument("--epochs", type=int_at_least(1),
                   help="epochs per execution (default: the dataset's quick-suite budget)")
    p.add_argument("--batch-size", type=int_at_least(1),
                   help="training batch size (default: the dataset's quick-suite budget)")
    p.add_argument("--seed", type=int_at_least(0), default=0,
                   help="the tuner's seed and the base training seed (default: %(default)s)")
    p.add_argument("--rerun-seeds", type=seeds, default=[0, 1, 2],
                   help="seeds of the harness re-runs of the default and tuned configs "
                        "(default: 0,1,2)")
    store_flag(p)
    p.add_argument("--dir", default="seqzoo-results/tuning",
                   help="keras-tuner projects, the search manifest and TensorBoard logs "
                        "(default: %(default)s)")
    p.add_argument("--out", default="seqzoo-results/report",
                   help="folder for tuning.md/.csv/.html (default: %(default)s)")
    p.add_argument("--resume", action="store_true",
                   help="continue the search in --dir after an interruption")
    p.add_argument("--role", help="chief or worker, for a search spread over processes or "
                                  "machines (KERASTUNER_ORACLE_IP/PORT give the chief)")
    p.add_argument("--backend", help=BACKEND_HELP)
    p.add_argument("--data-dir", help=DATA_DIR_HELP)


@dataclass(frozen=True)
class TuneRequest:
    """One validated ``seqzoo tune``: the search's settings, and where it keeps its state."""

    settings: Any
    role: str | None
    store: str
    dir: str
    out: str
    resume: bool = False
    rerun_seeds: tuple[int, ...] = (0, 1, 2)
    data_dir: str | None = None


def request(args: argparse.Namespace) -> TuneRequest:
    """Check the search's settings before anything is stored; the request."""
    from benchmarks.cell.budget import Budget
    from benchmarks.data.cache import data_root
    from benchmarks.grids.plan import resolve_models
    from benchmarks.grids.suites import SUITES
    from tuning.search import TuneSettings, resolve_role

    data_root()
    hyperband = args.tuner == "hyperband"
    if hyperband and args.epochs is not None:
        raise ValueError("hyperband trains each trial up to --max-epochs; drop --epochs")
    base = SUITES["quick"].datasets.get(args.dataset, Budget())
    max_epochs = (args.max_epochs or base.epochs) if hyperband else args.max_epochs
    settings = TuneSettings(
        models=tuple(resolve_models(args.models)), dataset=args.dataset, tuner=args.tuner,
        trials=args.trials if hyperband or args.trials is not None else 10,
        max_epochs=max_epochs, executions=args.executions, seed=args.seed,
        budget=base.replace(epochs=max_epochs if hyperband else args.epochs,
                            batch_size=args.batch_size))
    settings.check()
    return TuneRequest(settings, resolve_role(args.role), args.store, args.dir, args.out,
                       args.resume, tuple(args.rerun_seeds), args.data_dir)


def main(args: argparse.Namespace) -> int:
    """``seqzoo tune``."""
    return search(request(args))


def search(req: TuneRequest) -> int:
    """Run (or resume) the search, then write the tuning report on the chief."""
    from benchmarks.grids.plan import elapsed
    from results.store import Store
    from results.tuning_report import write_tuning_report
    from tuning.search import tune

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    out = console()
    store = Store(req.store)
    start = time.perf_counter()
    out.print(f"seqzoo tune: {', '.join(req.settings.models)} on {req.settings.dataset}, "
              f"search {req.settings.search_id} in {req.dir}, store {store.path}")
    found = tune(req.settings, store, req.dir, resume=req.resume, role=req.role,
                 rerun_seeds=req.rerun_seeds, data_dir=req.data_dir, console=out)
    out.print(f"search {found} done in {elapsed(start)}")
    if req.role != "worker":  # the chief (or a lone process) holds the whole search
        for path in write_tuning_report(store, req.out, found):
            out.print(f"wrote {path}")
    return 0
