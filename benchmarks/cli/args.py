"""What every ``seqzoo`` command shares: a parser whose errors are one line, argument types
that reject bad values before anything runs, the common flags (``--plugin``, ``--verbose``)
and the worker flags."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

STORE_HELP = ("results store: a SQLite file path, or a URL such as "
              "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB")
DEFAULT_STORE = "seqzoo-results/seqzoo.sqlite"
BACKEND_HELP = ("Keras backend: tensorflow, jax or torch (default: $KERAS_BACKEND, else "
                "tensorflow); chosen before Keras loads")
DATA_DIR_HELP = ("folder with local copies of the canonical archives (aclImdb_v1.tar.gz, "
                 "speech_commands_v0.02.tar.gz, jena_climate_2009_2016.csv.zip or their "
                 "extracted forms) instead of downloading them")


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are ``ValueError`` s, so that ``main`` prints
    them as every other bad input: one ``seqzoo: error: ...`` line, exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Raise ``message`` with a pointer to ``--help``."""
        raise ValueError(f"{message} (see {self.prog} --help)")


def comma_list(text: str) -> list[str]:
    """``a, b,c`` -> ``["a", "b", "c"]``."""
    return [t.strip() for t in text.split(",") if t.strip()]


def dataset_list(text: str) -> list[str]:
    """A comma list of dataset ids whose parameters hold commas too: a ``key=value`` item with
    no ``name:`` belongs to the id before it, so ``adding:lag=5,n_train=64,mr_polarity`` ->
    ``["adding:lag=5,n_train=64", "mr_polarity"]``."""
    ids: list[str] = []
    for token in comma_list(text):
        if ids and "=" in token and ":" not in token and ":" in ids[-1]:
            ids[-1] += f",{token}"
        else:
            ids.append(token)
    return ids


def _int(token: str, what: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} {token!r} is not an integer") from None


def int_at_least(low: int) -> Callable[[str], int]:
    """An argument type: an integer >= ``low``."""
    allowed = "a positive integer" if low == 1 else f"an integer >= {low}"

    def parse(text: str) -> int:
        value = _int(text, "value")
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is not allowed; use {allowed}")
        return value

    return parse


def ints_at_least(low: int, what: str) -> Callable[[str], list[int]]:
    """An argument type: a comma list of integers >= ``low`` (``what`` names one item)."""

    def parse(text: str) -> list[int]:
        values = [_int(token, what) for token in comma_list(text)]
        if not values:
            raise argparse.ArgumentTypeError(f"{text!r} holds no {what}s")
        for value in values:
            if value < low:
                raise argparse.ArgumentTypeError(f"{what} {value} is not allowed; use integers "
                                                 f">= {low}")
        return values

    return parse


seeds = ints_at_least(0, "seed")


def positive_number(text: str) -> float:
    """An argument type: a number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not allowed; use a positive number")
    return value


def seconds(text: str) -> float:
    """An argument type: a number of seconds (range checks are the caller's, with its flag)."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None


def common_flags(nested: bool = False) -> argparse.ArgumentParser:
    """The parent parser of every command: ``--plugin`` and ``--verbose``. ``nested``: for a
    command's actions (``seqzoo data list``), whose unset flags keep the command's values."""
    parent = argparse.ArgumentParser(add_help=False)
    keep = {"default": argparse.SUPPRESS} if nested else {}
    parent.add_argument("--plugin", action="append", metavar="PATH_OR_MODULE",
                        **(keep or {"default": []}),
                        help="import a .py file or module that registers models or datasets "
                             "before the command runs (repeatable)")
    parent.add_argument("--verbose", action="store_true", **keep,
                        help="show TensorFlow, absl and XLA log lines")
    return parent


def worker_flags(p: argparse.ArgumentParser) -> None:
    """Flags of every command that runs cells: backend, device, slots, lease and time limit."""
    p.add_argument("--device", default="auto", help="auto, cpu, gpu or tpu (default: auto)")
    p.add_argument("--backend", help=BACKEND_HELP)
    p.add_argument("--workers", type=int,
                   help="worker processes at once, each running one cell in a fresh process "
                        "with its share of the CPU cores (default: one per GPU, else 1)")
    p.add_argument("--lease", type=seconds, default=60.0,
                   help="seconds a worker holds a cell between heartbeats; a lost worker's "
                        "cell is queued again after this (default: %(default)s)")
    p.add_argument("--timeout-per-run", type=seconds,
                   help="kill a cell's worker after this many seconds and record it as "
                        "timeout (default: no limit)")


def settings_flags(p: argparse.ArgumentParser) -> None:
    """``--jit`` and ``--precision``: how each cell executes (see
    :mod:`benchmarks.cell.settings`)."""
    from benchmarks.cell.settings import JIT_MODES, PRECISIONS

    p.add_argument("--jit", choices=JIT_MODES, default="auto",
                   help="XLA compilation: auto (the setting measured fastest for each model "
                        "on this backend and device), on or off (default: %(default)s)")
    p.add_argument("--precision", choices=PRECISIONS, default="float32",
                   help="Keras dtype policy; mixed_* compute in 16 bits and keep float32 "
                        "weights (default: %(default)s)")


def run_settings(args: argparse.Namespace) -> object:
    """The :class:`~benchmarks.cell.settings.RunSettings` of ``--jit`` and ``--precision``."""
    from benchmarks.cell.settings import RunSettings

    return RunSettings(args.jit, args.precision)


def tracking_flags(p: argparse.ArgumentParser) -> None:
    """``--mlflow`` and ``--tensorboard DIR``."""
    p.add_argument("--mlflow", action="store_true",
                   help="log each run to MLflow ($MLFLOW_TRACKING_URI, default a SQLite store "
                        "seqzoo-results/mlflow.db; needs seqzoo[mlflow])")
    p.add_argument("--tensorboard", metavar="DIR",
                   help="per-run TensorBoard scalars under DIR (TensorFlow backend)")


def store_flag(p: argparse.ArgumentParser) -> None:
    """``--store`` with the default SQLite file."""
    p.add_argument("--store", default=DEFAULT_STORE,
                   help=f"{STORE_HELP} (default: {DEFAULT_STORE})")


def worker_setup(args: argparse.Namespace) -> tuple[str, object, object]:
    """Backend, device and pool settings from the worker flags, checked before any store is
    opened: (backend, DevicePlan, PoolSettings). ``args.backend`` is the backend that
    :func:`benchmarks.cli.main` chose before Keras loaded."""
    from benchmarks.data.cache import data_root

    backend = args.backend
    data_root()
    from benchmarks.cell.devices import select_device
    from benchmarks.grids.workers.pool import PoolSettings
    from benchmarks.grids.workers.slots import plan_slots

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    if args.workers is not None and args.workers < 1:  # before any backend starts
        plan_slots(args.workers, 0)
    # this process only counts devices: JAX here takes no GPU memory (it reads the variable
    # once, as its client starts), and the workers it starts keep JAX's own default
    lean = backend == "jax" and "XLA_PYTHON_CLIENT_PREALLOCATE" not in os.environ
    if lean:
        os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    try:
        device = select_device(args.device, strategy=False)
    finally:
        if lean:
            del os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"]
    slots = plan_slots(args.workers, device.count if device.kind == "gpu" else 0)
    pool = PoolSettings(tuple(slots), backend, lease_s=args.lease,
                        timeout_s=args.timeout_per_run, wait=getattr(args, "wait", False))
    return backend, device, pool


def print_plan(out: Any, plan: list[Any], detail: Callable[[Any], str] = lambda p: "") -> None:
    """``--dry-run``: one line per planned cell, ``skip`` (stored with status ok) or ``run``,
    and what ``detail`` adds."""
    for p in plan:
        out.print(f"  {'skip' if p.done else 'run '} {p.model} / {p.dataset} / seed "
                  f"{p.seed}{detail(p)}")


def print_estimate(out: Any, plan: list[Any], store: Any, workers: int) -> None:
    """``--dry-run``: how long the cells not yet done will take, from the finished cells of
    the same key in ``store`` (:mod:`benchmarks.grids.estimate`)."""
    from benchmarks.grids.estimate import estimate

    out.print(estimate(plan, store.durations(), workers).line())


def console() -> object:
    """A rich console; 120 columns when the output is not a terminal."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 120)
