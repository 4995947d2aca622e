"""The ``seqzoo`` command line: argparse -> a function -> printed tables or stored rows."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import probecmd
from benchmarks.cliargs import (
    DATA_DIR_HELP,
    STORE_HELP,
    Parser,
    comma_list,
    common_flags,
    console,
    int_at_least,
    run_settings,
    seeds,
    settings_flags,
    store_flag,
    tracking_flags,
    worker_flags,
    worker_setup,
)
from benchmarks.perf.peers import add_arguments as add_peers_arguments
from benchmarks.perf.peers import run as run_peers
from benchmarks.plugins import load_entry_points, load_plugin, origin, plugin_references
from benchmarks.quiet import filter_native_logs
from benchmarks.tracking import MlflowLogger, log_records, tensorboard_dir

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _cmd_list(args: argparse.Namespace) -> int:
    import zoo
    from benchmarks.listing import COLUMNS, model_rows, model_table_markdown

    if args.markdown:
        print(model_table_markdown(args.filter))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="seqzoo models: parameters per task shape",
                  caption="tokens: sentiment text; frames: spoken commands; steps: forecasting")
    keep = [i for i, column in enumerate(COLUMNS) if column not in ("description", "paper")]
    for i in keep:
        table.add_column(COLUMNS[i].split("->")[0], justify="right" if i > 1 else "left",
                         no_wrap=True)
    table.add_column("from")
    for row in model_rows(args.filter):
        module = zoo.get_model_info(str(row[0])).module
        table.add_row(*(str(row[i]) for i in keep), origin(module))
    Console().print(table)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    if args.max_attempts < 1:
        raise ValueError(f"--max-attempts {args.max_attempts} is not allowed; use 1 or more")
    backend, device, pool = worker_setup(args)
    from benchmarks.grid import (
        Execution,
        elapsed,
        enqueue_grid,
        plan_grid,
        resolve_models,
        run_grid,
        summary_tables,
    )
    from benchmarks.harness import Budget
    from benchmarks.suites import get_suite
    from results.store import Store

    out = console()
    if args.suite is None and not (args.models and args.datasets):
        raise ValueError("give --suite NAME, or both --models and --datasets")
    suite = get_suite(args.suite) if args.suite else None
    models = resolve_models(args.models or list(suite.models))
    base = dict(suite.datasets) if suite else {}
    names = args.datasets or list(base)
    overrides = {"epochs": args.epochs, "batch_size": args.batch_size}
    datasets = {n: base.get(n, Budget()).replace(**overrides) for n in names}
    seeds = args.seeds if args.seeds is not None else list(suite.seeds if suite else [0])
    suite_name = args.suite or "adhoc"
    mlflow = MlflowLogger(f"seqzoo-{suite_name}") if args.mlflow else None
    tensorboard = tensorboard_dir(args.tensorboard, backend, out)
    store = Store(args.store)
    settings = run_settings(args)
    plan = plan_grid(models, datasets, seeds, suite_name, store, not args.no_baselines, settings)
    skipped = sum(p.done for p in plan)
    baselines = "" if args.no_baselines else " + baselines"
    workers = f"{len(pool.slots)} worker{'s' if len(pool.slots) > 1 else ''} x " \
              f"{pool.slots[0].threads} threads"
    out.print(f"seqzoo run: suite {suite_name}, {len(models)} models{baselines} x "
              f"{len(datasets)} "
              f"datasets x {len(seeds)} seeds = {len(plan)} runs ({skipped} already in "
              f"{store.path}), backend {backend}, device {device.kind} ({device.name}), "
              f"{workers}")
    if args.dry_run:
        for p in plan:
            out.print(f"  {'skip' if p.done else 'run '} {p.model} / {p.dataset} / seed "
                      f"{p.seed}  epochs={p.budget.epochs} batch={p.budget.batch_size}")
        return 0
    execution = Execution(backend, args.device, args.data_dir, plugin_references(args.plugin),
                          tensorboard, settings)
    if args.enqueue_only:
        cells = enqueue_grid(plan, store, suite_name, execution, args.max_attempts)
        out.print(f"enqueued {len(cells)} cells in {store.path}; run them with `seqzoo "
                  "worker --store STORE` (the same --store) on any machine")
        return 0
    start = time.perf_counter()
    records = run_grid(plan, store, suite_name, execution, pool, out, args.max_attempts)
    for table in summary_tables(records):
        out.print(table)
    failed = sum(r.status != "ok" for r in records)
    out.print(f"{len(records)} runs in {elapsed(start)} ({failed} not ok), stored in "
              f"{store.path}")
    if mlflow:  # the whole grid: runs stored earlier and not logged yet too
        log_records(mlflow, store.records([execution.cell(p, suite_name).key for p in plan]),
                    out)
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    _, device, pool = worker_setup(args)
    from benchmarks.grid import elapsed
    from benchmarks.workers.pool import Pool
    from benchmarks.workers.slots import worker_id
    from results.store import Store

    out = console()
    store = Store(args.store)
    out.print(f"seqzoo worker {worker_id()}: {len(pool.slots)} slots x "
              f"{pool.slots[0].threads} threads on {device.kind} ({device.name}), store "
              f"{store.path}{', waiting for work' if pool.wait else ''}")
    start = time.perf_counter()
    Pool(store, pool, out).run()
    out.print(f"queue empty after {elapsed(start)}")
    return 0


def _cmd_tune(args: argparse.Namespace) -> int:
    from benchmarks.data.cache import data_root
    from benchmarks.devices import select_backend

    select_backend(args.backend)
    data_root()
    from benchmarks.grid import elapsed, resolve_models
    from benchmarks.harness import Budget
    from benchmarks.suites import SUITES
    from results.store import Store
    from results.tuning_report import write_tuning_report
    from tuning.search import TuneSettings, resolve_role, tune

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    out = console()
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
    role = resolve_role(args.role)
    store = Store(args.store)
    start = time.perf_counter()
    out.print(f"seqzoo tune: {', '.join(settings.models)} on {settings.dataset}, "
              f"search {settings.search_id} in {args.dir}, store {store.path}")
    search = tune(settings, store, args.dir, resume=args.resume, role=role,
                  rerun_seeds=tuple(args.rerun_seeds), data_dir=args.data_dir, console=out)
    out.print(f"search {search} done in {elapsed(start)}")
    if role != "worker":  # the chief (or a lone process) holds the whole search
        for path in write_tuning_report(store, args.out, search):
            out.print(f"wrote {path}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from results.report import write_report
    from results.store import Store
    from results.tuning_report import write_tuning_report

    if "://" not in args.store and not Path(args.store).exists():
        raise ValueError(f"store {args.store} does not exist; run `seqzoo run --suite quick` "
                         "first or pass --store PATH")
    write = (write_tuning_report(Store(args.store), args.out, args.search) if args.tuning
             else write_report(Store(args.store), args.out, args.suite, args.datasets))
    for path in write:
        print(f"wrote {path}")
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from benchmarks import datacmd

    return datacmd.main(args)


def build_parser() -> argparse.ArgumentParser:
    """The ``seqzoo`` argument parser with every subcommand."""
    parser = Parser(prog="seqzoo", description="Sequence-model zoo and benchmark suite.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parents = [common_flags()]

    p = sub.add_parser("list", parents=parents,
                       help="list registered models with parameter counts per task shape")
    p.add_argument("filter", nargs="?", default="*",
                   help="shell-style filter on model ids, e.g. '*lstm*' (default: all)")
    p.add_argument("--markdown", action="store_true",
                   help="print the table as Markdown (as embedded in the README)")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("run", parents=parents,
                       help="benchmark a grid of models x datasets x seeds into the store")
    p.add_argument("--suite", help="a named suite: smoke, quick, standard or canonical")
    p.add_argument("--models", type=comma_list,
                   help="comma list of model ids or shell patterns, e.g. 'lstm,*gru*' "
                        "(overrides the suite's)")
    p.add_argument("--datasets", type=comma_list,
                   help="comma list of dataset ids (overrides the suite's)")
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
    p.add_argument("--max-attempts", type=int, default=2,
                   help="claims of a cell before a lost worker's cell is recorded as failed "
                        "(default: %(default)s)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the grid and which runs the store already holds, then stop")
    p.add_argument("--enqueue-only", action="store_true",
                   help="write the grid's cells to the store's queue and stop; `seqzoo worker` "
                        "processes on any machine then run them")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("perf", parents=parents,
                       help="speed against hand-written PyTorch: zoo / torch samples/s per "
                            "Keras backend, model and shape (needs seqzoo[peers])")
    add_peers_arguments(p)
    p.set_defaults(func=run_peers)

    p = sub.add_parser("worker", parents=parents,
                       help="run queued cells from a shared store until none are left "
                            "(join a grid from any machine)")
    p.add_argument("--store", required=True, help=STORE_HELP)
    worker_flags(p)
    p.add_argument("--wait", action="store_true",
                   help="keep polling an empty queue for cells enqueued later (stop with "
                        "Ctrl-C)")
    p.set_defaults(func=_cmd_worker)

    p = sub.add_parser("tune", parents=parents,
                       help="equal-budget keras-tuner searches, every trial stored, "
                            "default vs tuned compared")
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
    p.add_argument("--batch-size", type=int_at_least(1), help="training batch size (default: the "
                                                  "dataset's quick-suite budget)")
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
    p.add_argument("--backend", help="tensorflow, jax or torch (default: $KERAS_BACKEND or "
                                     "tensorflow)")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_cmd_tune)

    probecmd.add_parsers(sub, parents)

    p = sub.add_parser("report", parents=parents,
                       help="leaderboard.md/.csv/.html from the results store")
    store_flag(p)
    p.add_argument("--out", default="seqzoo-results/report",
                   help="output folder (default: seqzoo-results/report)")
    p.add_argument("--suite", help="only runs of this suite")
    p.add_argument("--datasets", type=comma_list, help="comma list of dataset ids")
    p.add_argument("--tuning", action="store_true",
                   help="write the tuning comparison (tuning.md/.csv/.html) instead")
    p.add_argument("--search", help="with --tuning: only this search id")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("data", help="list, describe and prepare datasets")
    data = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    q = data.add_parser("list", parents=parents,
                        help="table of registered datasets")
    q.add_argument("--offline", action="store_true", help="only datasets that need no internet")
    q.add_argument("--family", help="sentiment, speech, forecasting or diagnostic")
    q.add_argument("--names", action="store_true", help="bare ids, one per line")
    q = data.add_parser("info", parents=parents,
                        help="source, licence, splits, preprocessing and fingerprint")
    q.add_argument("dataset")
    q.add_argument("--data-dir", help=DATA_DIR_HELP)
    q = data.add_parser("prepare", parents=parents,
                        help="fetch and preprocess into the cache ($SEQZOO_DATA)")
    q.add_argument("datasets", nargs="+", help="dataset ids")
    q.add_argument("--data-dir", help=DATA_DIR_HELP)
    q = data.add_parser("add", parents=parents,
                        help="save a named dataset from your files (prepared and checked now)")
    q.add_argument("name", help="the new dataset id, e.g. my_weather")
    q.add_argument("--from", dest="kind", required=True,
                   help="text_csv, text_dir, audio_dir, series_csv (or any dataset id)")
    q.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter of the kind, e.g. path=weather.csv (repeatable)")
    p.set_defaults(func=_cmd_data)
    return parser


def main(argv: Sequence[str] | None = None, *, quiet: bool = False) -> int:
    """Run one ``seqzoo`` command; returns the exit status.

    Bad input of any kind (flags, ids, files, store URLs) prints one ``seqzoo: error: ...``
    line and returns 2 before anything runs or is stored. ``quiet`` filters the native log
    lines of TensorFlow, absl and XLA from stderr unless ``--verbose`` is given.
    """
    try:
        args = build_parser().parse_args(argv)
        if quiet and not args.verbose:
            filter_native_logs()
        for reference in args.plugin:
            load_plugin(reference)
        load_entry_points()
        return args.func(args)
    except (KeyError, ValueError, FileNotFoundError, PermissionError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"seqzoo: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("seqzoo: interrupted; finished runs and trials are in the store; rerun (tune: "
              "with --resume) to continue", file=sys.stderr)
        return 130


def entry() -> None:
    """The ``seqzoo`` console script: :func:`main` on ``sys.argv``, quiet unless --verbose."""
    sys.exit(main(quiet=True))


if __name__ == "__main__":
    entry()
