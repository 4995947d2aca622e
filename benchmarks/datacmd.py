"""``seqzoo data list|info|prepare|add``."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time

from rich.console import Console
from rich.table import Table

from benchmarks.data import dataset_class, list_datasets, open_dataset
from benchmarks.data.cache import data_root


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
    elif args.data_command == "add":
        from benchmarks.data.user import add_user_dataset

        path, data = add_user_dataset(args.name, args.kind, args.param)
        info = data.info()
        console.print(f"saved {args.name} ({args.kind}) in {path}: {info['sizes']}, "
                      f"fingerprint {info['fingerprint'][:12]}; use it as --datasets "
                      f"{args.name}")
    elif args.data_command == "info":
        print(json.dumps(open_dataset(args.dataset, args.data_dir).info(), indent=2, default=str))
    else:
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
    return 0
