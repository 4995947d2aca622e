"""The ``seqzoo`` command line: argparse -> a function -> printed tables or stored rows."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


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


if __name__ == "__main__":
    sys.exit(main())
