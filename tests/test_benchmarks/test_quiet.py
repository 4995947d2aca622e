"""Quiet output: native TensorFlow/absl/XLA log lines are filtered from a command's stderr by
default and come back with ``--verbose``; everything else passes through."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from benchmarks.cell.quiet import is_native_log

NATIVE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795431447.599955    6986 port.cc:153] oneDNN custom operations are on.",
    "E0000 00:00:1795431453.076753    6986 cuda_platform.cc:52] failed call to cuInit: INTERNAL",
    "W0000 00:00:1795431453.1 12 tensorflow/core/grappler/optimizers/meta_optimizer.cc:1] x",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
    "with the appropriate compiler flags.",
]
KEPT = ["seqzoo: error: unknown model 'lstn'", "F0000 00:00:1.2 1 x.cc:1] a fatal error",
        "Traceback (most recent call last):", "I think 0000 is fine"]


def test_what_counts_as_a_native_log_line() -> None:
    assert all(is_native_log(line.encode()) for line in NATIVE)
    assert not any(is_native_log(line.encode()) for line in KEPT)


def test_the_filter_drops_native_lines_and_keeps_the_rest() -> None:
    script = textwrap.dedent(f"""
        import os, sys
        from benchmarks.cell.quiet import filter_native_logs
        filter_native_logs()
        for line in {NATIVE + KEPT[:1]!r}:
            os.write(2, (line + "\\n").encode())  # as native code writes: straight to fd 2
        print("from python", file=sys.stderr)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stderr.splitlines()) == sorted([KEPT[0], "from python"])


def test_verbose_brings_the_native_lines_back() -> None:
    command = [sys.executable, "-m", "benchmarks.cli", "list", "rnn"]
    quiet = subprocess.run(command, capture_output=True, text=True, timeout=300)
    loud = subprocess.run([*command, "--verbose"], capture_output=True, text=True, timeout=300)
    assert quiet.returncode == loud.returncode == 0
    assert "rnn" in quiet.stdout and not quiet.stderr.strip(), quiet.stderr
    assert any(is_native_log(line.encode()) for line in loud.stderr.splitlines())
