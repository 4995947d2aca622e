"""The ``seqzoo`` command line: one table of commands, each module imported only when it runs.

As in pip's ``commands/__init__.py``, :data:`COMMANDS` maps each command name to the module
that implements it and a one-line summary. ``seqzoo --help`` prints the table and imports no
command; ``seqzoo NAME ...`` imports ``benchmarks.cli.NAME`` alone, which adds its flags
(``add_arguments``) and runs (``main``). The backend named by ``--backend`` is chosen here,
after parsing and before any plugin or command imports Keras.

Every command module imports nothing heavy at module level; it parses its flags into one
validated request (a frozen dataclass) and hands that down. Nothing below the CLI imports it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.cli.args import Parser, common_flags

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@dataclass(frozen=True)
class Command:
    """One ``seqzoo`` command: the module that implements it, and its summary."""

    module: str
    summary: str


COMMANDS: dict[str, Command] = {
    "list": Command("benchmarks.cli.list",
                    "list registered models with parameter counts per task shape"),
    "run": Command("benchmarks.cli.run",
                   "benchmark a grid of models x datasets x seeds into the store"),
    "worker": Command("benchmarks.cli.worker",
                      "run queued cells from a shared store until none are left (join a grid "
                      "from any machine)"),
    "tune": Command("benchmarks.cli.tune",
                    "equal-budget keras-tuner searches, every trial stored, default vs tuned "
                    "compared"),
    "diagnose": Command("benchmarks.cli.diagnose",
                        "memory and recall: every model on a diagnostic probe at growing lags "
                        "or lengths, equal optimizer steps; the papers' recall results beside "
                        "ours"),
    "scale": Command("benchmarks.cli.scale",
                     "cost vs sequence length: step time, tokens/s, latency, memory and FLOPs "
                     "per model and length"),
    "perf": Command("benchmarks.cli.perf",
                    "speed against hand-written PyTorch: zoo / torch samples/s per Keras "
                    "backend, model and shape (needs seqzoo[peers])"),
    "reference": Command("benchmarks.cli.reference",
                         "regenerate the published reference results (resumable; reruns rows "
                         "whose model code changed), or --check a sample of them"),
    "report": Command("benchmarks.cli.report",
                      "leaderboard.md/.csv/.html from the results store"),
    "data": Command("benchmarks.cli.data", "list, describe, prepare and add datasets"),
}
#: what one bad input raises, anywhere below: printed as one ``seqzoo: error:`` line
USER_ERRORS = (KeyError, ValueError, FileNotFoundError, PermissionError)


def command_table() -> str:
    """The ``seqzoo --help`` text: usage and one line per command."""
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {command.summary}" for name, command in COMMANDS.items()]
    return ("usage: seqzoo COMMAND [options]\n\nSequence-model zoo and benchmark suite.\n\n"
            "commands:\n" + "\n".join(lines)
            + "\n\n`seqzoo COMMAND --help` lists a command's options.")


def command_parser(name: str) -> tuple[Parser, object]:
    """The parser of command ``name`` and its module (imported now); ``ValueError`` naming
    the commands if ``name`` is not one."""
    if name not in COMMANDS:
        raise ValueError(f"unknown command {name!r}; use one of {', '.join(COMMANDS)} (see "
                         "seqzoo --help)")
    module = importlib.import_module(COMMANDS[name].module)
    parser = Parser(prog=f"seqzoo {name}", description=COMMANDS[name].summary,
                    parents=[common_flags()])
    module.add_arguments(parser)
    return parser, module


def main(argv: Sequence[str] | None = None, *, quiet: bool = False) -> int:
    """Run one ``seqzoo`` command; returns the exit status.

    Bad input of any kind (flags, ids, files, store URLs, plugins) prints one
    ``seqzoo: error: ...`` line and returns 2 before anything runs or is stored. ``quiet``
    filters the native log lines of TensorFlow, absl and XLA from stderr unless
    ``--verbose`` is given.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(command_table())
        return 0 if argv else 2
    try:
        parser, module = command_parser(argv[0])
        args = parser.parse_args(argv[1:])
        if quiet and not args.verbose:
            from benchmarks.cell.quiet import filter_native_logs

            filter_native_logs()
        if hasattr(args, "backend"):
            from benchmarks.cell.devices import select_backend

            args.backend = select_backend(args.backend)  # before anything imports Keras
        from benchmarks.plugins import load_entry_points, load_plugin

        for reference in args.plugin:
            load_plugin(reference)
        load_entry_points()
        return module.main(args)
    except USER_ERRORS as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"seqzoo: error: {message}", file=sys.stderr)
        return 2
    except ChildProcessError as error:  # a process the command started died: not bad input
        print(f"seqzoo: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("seqzoo: interrupted; finished runs and trials are in the store; rerun (tune: "
              "with --resume) to continue", file=sys.stderr)
        return 130


def entry() -> None:
    """The ``seqzoo`` console script: :func:`main` on ``sys.argv``, quiet unless --verbose."""
    sys.exit(main(quiet=True))
