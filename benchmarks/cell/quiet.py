"""Keep TensorFlow's, absl's and XLA's native log lines off a user's terminal.

TensorFlow 2.2x logs through absl from C++ straight to file descriptor 2, some of it before
``absl::InitializeLog()`` runs, so neither ``TF_CPP_MIN_LOG_LEVEL`` nor Python's ``logging``
reaches those lines. :func:`filter_native_logs` puts a pipe on descriptor 2 and forwards every
line except those in absl's log format (``I0000 00:00:1795431447.599955 6986 port.cc:153] ...``
and absl's "before InitializeLog" warning). Fatal (``F``) lines and everything else pass
through. Python's own ``sys.stderr`` keeps writing to the terminal directly.
"""

from __future__ import annotations

import atexit
import os
import re
import sys
import threading

#: a native log line: absl's prefix (severity I/W/E, date, time, thread, file:line]), its
#: warning that logging is not initialised yet, or the second line of TensorFlow's CPU notice
NATIVE_LOG = re.compile(
    rb"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to "
    rb"STDERR|[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.\-/]+:\d+\] |To enable the "
    rb"following instructions: .* rebuild TensorFlow with the appropriate compiler flags)")


def is_native_log(line: bytes) -> bool:
    """Whether ``line`` is an absl/TensorFlow/XLA info, warning or error log line."""
    return NATIVE_LOG.match(line) is not None


def filter_native_logs() -> None:
    """Drop native log lines from what this process writes to descriptor 2, until exit."""
    terminal = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    sys.stderr = open(terminal, "w", buffering=1, closefd=False,  # noqa: SIM115
                      encoding=sys.stderr.encoding, errors="backslashreplace")

    def forward() -> None:
        with open(read_end, "rb") as pipe:
            for line in pipe:
                if not is_native_log(line):
                    os.write(terminal, line)

    thread = threading.Thread(target=forward, name="native-log-filter", daemon=True)
    thread.start()

    def restore() -> None:  # the pipe's last writer goes: the thread reads to the end
        sys.stderr.flush()
        os.dup2(terminal, 2)
        thread.join(timeout=2)

    atexit.register(restore)
