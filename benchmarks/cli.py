"""The ``seqzoo`` command line: argparse -> a function -> printed tables or stored rows."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _comma_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _seeds(text: str) -> list[int]:
    seeds = []
    for token in _comma_list(text):
        try:
            seeds.append(int(token))
        except ValueError:
            raise argparse.ArgumentTypeError(f"seed {token!r} is not an integer") from None
    return seeds


def _cmd_list(args: argparse.Namespace) -> int:
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
    for row in model_rows(args.filter):
        table.add_row(*(str(row[i]) for i in keep))
    Console().print(table)
    return 0


def _worker_setup(args: argparse.Namespace) -> tuple[str, object, object]:
    """Backend, device and pool settings from the worker flags, checked before any store is
    opened: (backend, DevicePlan, PoolSettings)."""
    from benchmarks.devices import select_backend

    backend = select_backend(args.backend)
    if backend == "jax":  # this process only counts devices: leave GPU memory to the workers
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    from benchmarks.devices import select_device
    from benchmarks.workers.pool import PoolSettings
    from benchmarks.workers.slots import plan_slots

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    if args.workers is not None and args.workers < 1:  # before any backend starts
        plan_slots(args.workers, 0)
    device = select_device(args.device, strategy=False)
    slots = plan_slots(args.workers, device.count if device.kind == "gpu" else 0)
    pool = PoolSettings(tuple(slots), backend, lease_s=args.lease,
                        timeout_s=args.timeout_per_run, wait=getattr(args, "wait", False))
    return backend, device, pool


def _console() -> object:
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 120)


def _cmd_run(args: argparse.Namespace) -> int:
    if args.max_attempts < 1:
        raise ValueError(f"--max-attempts {args.max_attempts} is not allowed; use 1 or more")
    backend, device, pool = _worker_setup(args)
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

    console = _console()
    if args.suite is None and not (args.models and args.datasets):
        raise ValueError("give --suite NAME, or both --models and --datasets")
    suite = get_suite(args.suite) if args.suite else None
    models = resolve_models(args.models or list(suite.models))
    base = dict(suite.datasets) if suite else {}
    names = args.datasets or list(base)
    overrides = {"epochs": args.epochs, "batch_size": args.batch_size}
    datasets = {n: base.get(n, Budget()).replace(**overrides) for n in names}
    seeds = args.seeds if args.seeds is not None else list(suite.seeds if suite else [0])
    store = Store(args.store)
    suite_name = args.suite or "adhoc"
    plan = plan_grid(models, datasets, seeds, suite_name, store, not args.no_baselines)
    skipped = sum(p.done for p in plan)
    baselines = "" if args.no_baselines else " + baselines"
    workers = f"{len(pool.slots)} worker{'s' if len(pool.slots) > 1 else ''} x " \
              f"{pool.slots[0].threads} threads"
    console.print(f"seqzoo run: suite {suite_name}, {len(models)} models{baselines} x "
                  f"{len(datasets)} "
                  f"datasets x {len(seeds)} seeds = {len(plan)} runs ({skipped} already in "
                  f"{store.path}), backend {backend}, device {device.kind} ({device.name}), "
                  f"{workers}")
    if args.dry_run:
        for p in plan:
            console.print(f"  {'skip' if p.done else 'run '} {p.model} / {p.dataset} / seed "
                          f"{p.seed}  epochs={p.budget.epochs} batch={p.budget.batch_size}")
        return 0
    execution = Execution(backend, args.device, args.data_dir)
    if args.enqueue_only:
        cells = enqueue_grid(plan, store, suite_name, execution, args.max_attempts)
        console.print(f"enqueued {len(cells)} cells in {store.path}; run them with `seqzoo "
                      "worker --store STORE` (the same --store) on any machine")
        return 0
    start = time.perf_counter()
    records = run_grid(plan, store, suite_name, execution, pool, console, args.max_attempts)
    for table in summary_tables(records):
        console.print(table)
    failed = sum(r.status != "ok" for r in records)
    console.print(f"{len(records)} runs in {elapsed(start)} ({failed} not ok), stored in "
                  f"{store.path}")
    return 0


def _run_planned(args: argparse.Namespace, plan: list, suite: str, what: str) -> int:
    """Run a diagnose or scale plan through the workers, then print where the rows went."""
    backend, device, pool = _worker_setup(args)
    from benchmarks.grid import Execution, elapsed, run_grid
    from results.store import Store

    console = _console()
    store = Store(args.store)
    done = sum(p.done for p in plan)
    console.print(f"seqzoo {suite}: {what} = {len(plan)} cells ({done} already in "
                  f"{store.path}), backend {backend}, device {device.kind} ({device.name}), "
                  f"{len(pool.slots)} worker(s) x {pool.slots[0].threads} threads")
    if args.dry_run:
        for p in plan:
            console.print(f"  {'skip' if p.done else 'run '} {p.model} / {p.dataset} / seed "
                          f"{p.seed}")
        return 0
    start = time.perf_counter()
    records = run_grid(plan, store, suite, Execution(backend, args.device), pool, console)
    failed = sum(r.status != "ok" for r in records)
    console.print(f"{len(records)} cells in {elapsed(start)} ({failed} not ok), stored in "
                  f"{store.path}; `seqzoo report --store {args.store}` adds the section")
    return 0


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from benchmarks.diagnose import SUITE, DiagnoseSettings, plan_diagnose
    from benchmarks.grid import resolve_models
    from results.store import Store

    settings = DiagnoseSettings(args.task, tuple(args.lags), args.steps, args.batch_size,
                                args.learning_rate, args.eval_samples)
    settings.check()
    models = resolve_models(args.models)
    plan = plan_diagnose(models, settings, args.seeds, Store(args.store))
    return _run_planned(args, plan, SUITE, f"{args.task}, {len(models)} models x "
                                           f"{len(settings.lags)} lags x {len(args.seeds)} "
                                           f"seeds, {args.steps} steps each")


def _cmd_scale(args: argparse.Namespace) -> int:
    from benchmarks.grid import resolve_models
    from benchmarks.scale import SUITE, ScaleSettings, plan_scale
    from results.store import Store

    settings = ScaleSettings(tuple(args.lengths), args.batch, args.width, args.steps,
                             args.time_cap)
    settings.check()
    if args.timeout_per_run is None:  # a backstop for one step that alone passes the cap
        args.timeout_per_run = 2 * settings.time_cap + 120
    models = resolve_models(args.models)
    plan = plan_scale(models, settings, args.seed, Store(args.store))
    return _run_planned(args, plan, SUITE, f"{len(models)} models x {len(settings.lengths)} "
                                           f"lengths, batch {settings.batch}, width "
                                           f"{settings.width}")


def _cmd_worker(args: argparse.Namespace) -> int:
    _, device, pool = _worker_setup(args)
    from benchmarks.grid import elapsed
    from benchmarks.workers.pool import Pool
    from benchmarks.workers.slots import worker_id
    from results.store import Store

    console = _console()
    store = Store(args.store)
    console.print(f"seqzoo worker {worker_id()}: {len(pool.slots)} slots x "
                  f"{pool.slots[0].threads} threads on {device.kind} ({device.name}), store "
                  f"{store.path}{', waiting for work' if pool.wait else ''}")
    start = time.perf_counter()
    Pool(store, pool, console).run()
    console.print(f"queue empty after {elapsed(start)}")
    return 0


def _cmd_tune(args: argparse.Namespace) -> int:
    from benchmarks.devices import select_backend

    select_backend(args.backend)
    from rich.console import Console

    from benchmarks.grid import elapsed, resolve_models
    from benchmarks.harness import Budget
    from benchmarks.suites import SUITES
    from results.store import Store
    from results.tuning_report import write_tuning_report
    from tuning.search import TuneSettings, resolve_role, tune

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    console = Console(width=None if sys.stdout.isatty() else 120)
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
    console.print(f"seqzoo tune: {', '.join(settings.models)} on {settings.dataset}, "
                  f"search {settings.search_id} in {args.dir}, store {store.path}")
    search = tune(settings, store, args.dir, resume=args.resume, role=role,
                  rerun_seeds=tuple(args.rerun_seeds), data_dir=args.data_dir, console=console)
    console.print(f"search {search} done in {elapsed(start)}")
    if role != "worker":  # the chief (or a lone process) holds the whole search
        for path in write_tuning_report(store, args.out, search):
            console.print(f"wrote {path}")
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


STORE_HELP = ("results store: a SQLite file path, or a URL such as "
              "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB")
DEFAULT_STORE = "seqzoo-results/seqzoo.sqlite"


def _lengths(text: str) -> list[int]:
    values = []
    for token in _comma_list(text):
        try:
            values.append(int(token))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{token!r} is not an integer length") from None
    return values


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None


def _worker_flags(p: argparse.ArgumentParser) -> None:
    """Flags shared by ``run`` and ``worker``: backend, device, slots, lease and time limit."""
    p.add_argument("--device", default="auto", help="auto, cpu, gpu or tpu (default: auto)")
    p.add_argument("--backend", help="tensorflow, jax or torch (default: $KERAS_BACKEND or "
                                     "tensorflow)")
    p.add_argument("--workers", type=int,
                   help="worker processes at once, each running one cell in a fresh process "
                        "with its share of the CPU cores (default: one per GPU, else 1)")
    p.add_argument("--lease", type=_seconds, default=60.0,
                   help="seconds a worker holds a cell between heartbeats; a lost worker's "
                        "cell is queued again after this (default: %(default)s)")
    p.add_argument("--timeout-per-run", type=_seconds,
                   help="kill a cell's worker after this many seconds and record it as "
                        "timeout (default: no limit)")


DATA_DIR_HELP = ("folder with local copies of the canonical archives (aclImdb_v1.tar.gz, "
                 "speech_commands_v0.02.tar.gz, jena_climate_2009_2016.csv.zip or their "
                 "extracted forms) instead of downloading them")


def build_parser() -> argparse.ArgumentParser:
    """The ``seqzoo`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="seqzoo", description="Sequence-model zoo and benchmark suite.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list registered models with parameter counts per task shape")
    p.add_argument("filter", nargs="?", default="*",
                   help="shell-style filter on model ids, e.g. '*lstm*' (default: all)")
    p.add_argument("--markdown", action="store_true",
                   help="print the table as Markdown (as embedded in the README)")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("run", help="benchmark a grid of models x datasets x seeds into the store")
    p.add_argument("--suite", help="a named suite: smoke, quick, standard or canonical")
    p.add_argument("--models", type=_comma_list,
                   help="comma list of model ids or shell patterns, e.g. 'lstm,*gru*' "
                        "(overrides the suite's)")
    p.add_argument("--datasets", type=_comma_list,
                   help="comma list of dataset ids (overrides the suite's)")
    p.add_argument("--seeds", type=_seeds, help="comma list of integer seeds, e.g. 0,1,2")
    p.add_argument("--epochs", type=int, help="maximum epochs (overrides the suite's)")
    p.add_argument("--batch-size", type=int, help="training batch size (overrides the suite's)")
    p.add_argument("--store", default=DEFAULT_STORE,
                   help=f"{STORE_HELP} (default: {DEFAULT_STORE})")
    _worker_flags(p)
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
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

    p = sub.add_parser("worker", help="run queued cells from a shared store until none are "
                                      "left (join a grid from any machine)")
    p.add_argument("--store", required=True, help=STORE_HELP)
    _worker_flags(p)
    p.add_argument("--wait", action="store_true",
                   help="keep polling an empty queue for cells enqueued later (stop with "
                        "Ctrl-C)")
    p.set_defaults(func=_cmd_worker)

    p = sub.add_parser("tune", help="equal-budget keras-tuner searches, every trial stored, "
                                    "default vs tuned compared")
    p.add_argument("--models", type=_comma_list, required=True,
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
    p.add_argument("--epochs", type=int,
                   help="epochs per execution (default: the dataset's quick-suite budget)")
    p.add_argument("--batch-size", type=int, help="training batch size (default: the "
                                                  "dataset's quick-suite budget)")
    p.add_argument("--seed", type=int, default=0,
                   help="the tuner's seed and the base training seed (default: %(default)s)")
    p.add_argument("--rerun-seeds", type=_seeds, default=[0, 1, 2],
                   help="seeds of the harness re-runs of the default and tuned configs "
                        "(default: 0,1,2)")
    p.add_argument("--store", default=DEFAULT_STORE,
                   help=f"{STORE_HELP} (default: {DEFAULT_STORE})")
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

    p = sub.add_parser("diagnose", help="memory length: every model on a diagnostic probe at "
                                        "growing lags, equal optimizer steps")
    p.add_argument("--task", required=True, help="adding or delayed_recall")
    p.add_argument("--lags", type=_lengths, default=[50, 100, 200, 400, 800],
                   help="comma list of lags (default: 50,100,200,400,800)")
    p.add_argument("--models", type=_comma_list, default=["*"],
                   help="comma list of model ids or shell patterns (default: every model)")
    p.add_argument("--seeds", type=_seeds, default=[0, 1, 2],
                   help="comma list of training seeds (default: 0,1,2)")
    p.add_argument("--steps", type=int, default=600,
                   help="optimizer steps per run, the same for every model and lag "
                        "(default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=32, help="default: %(default)s")
    p.add_argument("--learning-rate", type=float, default=1e-3, help="default: %(default)s")
    p.add_argument("--eval-samples", type=int, default=1000,
                   help="validation and test samples per lag (default: %(default)s)")
    p.add_argument("--store", default=DEFAULT_STORE,
                   help=f"{STORE_HELP} (default: {DEFAULT_STORE})")
    _worker_flags(p)
    p.add_argument("--dry-run", action="store_true", help="print the cells, then stop")
    p.set_defaults(func=_cmd_diagnose)

    p = sub.add_parser("scale", help="cost vs sequence length: step time, tokens/s, latency, "
                                     "memory and FLOPs per model and length")
    p.add_argument("--models", type=_comma_list, default=["*"],
                   help="comma list of model ids or shell patterns (default: every model)")
    p.add_argument("--lengths", type=_lengths,
                   default=[64, 128, 256, 512, 1024, 2048, 4096],
                   help="comma list of sequence lengths (default: 64,128,...,4096)")
    p.add_argument("--batch", type=int, default=16, help="training batch (default: %(default)s)")
    p.add_argument("--width", type=int, default=64,
                   help="hidden width: units of the recurrent families, embed_dim of the "
                        "others (default: %(default)s)")
    p.add_argument("--steps", type=int, default=5,
                   help="timed training steps after 2 warm-up steps (default: %(default)s)")
    p.add_argument("--time-cap", type=_seconds, default=300.0,
                   help="seconds one (model, length) may take before it is stored as "
                        "timeout (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    p.add_argument("--store", default=DEFAULT_STORE,
                   help=f"{STORE_HELP} (default: {DEFAULT_STORE})")
    _worker_flags(p)
    p.add_argument("--dry-run", action="store_true", help="print the cells, then stop")
    p.set_defaults(func=_cmd_scale)

    p = sub.add_parser("report", help="leaderboard.md/.csv/.html from the results store")
    p.add_argument("--store", default=DEFAULT_STORE,
                   help=f"{STORE_HELP} (default: {DEFAULT_STORE})")
    p.add_argument("--out", default="seqzoo-results/report",
                   help="output folder (default: seqzoo-results/report)")
    p.add_argument("--suite", help="only runs of this suite")
    p.add_argument("--datasets", type=_comma_list, help="comma list of dataset ids")
    p.add_argument("--tuning", action="store_true",
                   help="write the tuning comparison (tuning.md/.csv/.html) instead")
    p.add_argument("--search", help="with --tuning: only this search id")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("data", help="list, describe and prepare datasets")
    data = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    q = data.add_parser("list", help="table of registered datasets")
    q.add_argument("--offline", action="store_true", help="only datasets that need no internet")
    q.add_argument("--family", help="sentiment, speech or forecasting")
    q.add_argument("--names", action="store_true", help="bare ids, one per line")
    q = data.add_parser("info", help="source, licence, splits, preprocessing and fingerprint")
    q.add_argument("dataset")
    q.add_argument("--data-dir", help=DATA_DIR_HELP)
    q = data.add_parser("prepare", help="fetch and preprocess into the cache ($SEQZOO_DATA)")
    q.add_argument("datasets", nargs="+", help="dataset ids")
    q.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_cmd_data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``seqzoo`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (KeyError, ValueError, FileNotFoundError, PermissionError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"seqzoo: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("seqzoo: interrupted; finished runs and trials are in the store; rerun (tune: "
              "with --resume) to continue", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
