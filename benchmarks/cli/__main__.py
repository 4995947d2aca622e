"""``python -m benchmarks.cli``: the ``seqzoo`` command."""

from benchmarks.cli import entry

entry()
