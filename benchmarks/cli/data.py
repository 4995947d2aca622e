"""``seqzoo data list|info|prepare|add``: the dataset registry, without a deep-learning
backend (preparing a text dataset may load TensorFlow's ``TextVectorization``)."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time

from rich.console import Console
from rich.table import Table

from benchmarks.cli.args import DATA_DIR_HELP, common_flags
from benchmarks.data import dataset_class, list_datasets, open_dataset
from benchmarks.data.cache import data_root


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The actions of ``seqzoo data`` and their flags."""
    parents = [common_flags(nested=True)]
    data = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    q = data.add_parser("list", parents=parents, help="table of registered datasets")
    q.add_argument("--offline", action="store_true", help="only datasets that need no internet")
    q.add_argument("--family", help="sentiment, speech, forecasting or diagnostic")
    q.add_argument("--names", action="store_true", help="bare ids, one per line")
    q = data.add_parser("info", parents=parents,
                        help="source, licence, splits, parameters, preprocessing and "
                             "fingerprint")
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


def dataset_origin(cls: type) -> str:
    """Where a dataset comes from: built-in, a saved config, a package or a plugin file."""
    from benchmarks.plugins import origin

    config = getattr(cls, "config_path", None)
    return f"config {config}" if config else origin(cls.__module__)


def main(args: argparse.Namespace) -> int:
    """Dispatch a ``seqzoo data`` action; returns the exit status."""
    data_root()
    console = Console(width=None if sys.stdout.isatty() else 120)
    if args.data_command == "list":
        return _list(args, console)
    if args.data_command == "add":
        from benchmarks.data.user import add_user_dataset

        path, data = add_user_dataset(args.name, args.kind, args.param)
        info = data.info()
        console.print(f"saved {args.name} ({args.kind}) in {path}: {info['sizes']}, "
                      f"fingerprint {info['fingerprint'][:12]}; use it as --datasets "
                      f"{args.name}")
    elif args.data_command == "info":
        cls = dataset_class(args.dataset)
        info = cls.describe() if cls.file_kind else \
            open_dataset(args.dataset, args.data_dir).info()
        print(json.dumps(info, indent=2, default=str))
    else:
        _prepare(args, console)
    return 0


def _list(args: argparse.Namespace, console: Console) -> int:
    """The datasets (offline ones, or one family, with the flags), then the file kinds."""
    names = list_datasets(offline=True if args.offline else None, family=args.family)
    if args.names:
        print("\n".join(names))
        return 0
    table = Table(title="seqzoo datasets", caption="seqzoo data info ID: full provenance")
    for column in ("id", "family", "offline", "version", "source", "from"):
        table.add_column(column, no_wrap=column not in ("source", "from"))
    for name in names:
        cls = dataset_class(name)
        table.add_row(name, cls.family, "yes" if cls.offline else "no", cls.version,
                      re.split(r" \(|:|, from ", cls.source)[0], dataset_origin(cls))
    console.print(table)
    kinds = Table(title="file kinds: seqzoo data add NAME --from KIND --param path=...",
                  caption="seqzoo data info KIND: its parameters")
    for column in ("kind", "family", "reads", "parameters"):
        kinds.add_column(column, no_wrap=column == "kind")
    for name in list_datasets(family=args.family, file_kinds=True):
        cls = dataset_class(name)
        kinds.add_row(name, cls.family, cls.source, ", ".join(cls.defaults))
    console.print(kinds)
    return 0


def _prepare(args: argparse.Namespace, console: Console) -> None:
    """Prepare each dataset into the cache, with progress."""
    for name in args.datasets:
        dataset_class(name)
    from rich.progress import Progress

    with Progress(console=console) as progress:
        task = progress.add_task("preparing", total=len(args.datasets))
        for name in args.datasets:
            progress.update(task, description=f"preparing {name}")
            start = time.perf_counter()
            info = open_dataset(name, args.data_dir).info()
            progress.console.print(f"{name}: {info['sizes']} in "
                                   f"{time.perf_counter() - start:.1f}s "
                                   f"(prepare {info['prepare_seconds']}s) -> cached")
            progress.advance(task)
