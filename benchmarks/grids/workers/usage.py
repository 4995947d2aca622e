"""What a worker process got of the machine: its CPU seconds, and how loaded the machine was.

A cell killed at ``--timeout-per-run`` may have been slow by itself, or starved by other
processes on the machine. Its row says which: the CPU seconds its worker used against the
wall seconds it ran, and the load average against the cores, read when it was killed.
"""

from __future__ import annotations

import os

import psutil


def cpu_seconds(pid: int | None) -> float | None:
    """User plus system CPU seconds of process ``pid`` and its children so far; ``None`` when
    it is gone or cannot be read."""
    if pid is None:
        return None
    try:
        process = psutil.Process(pid)
        with process.oneshot():
            times = process.cpu_times()
        return times.user + times.system + times.children_user + times.children_system
    except (psutil.Error, OSError):
        return None


def share_text(cpu_used: float | None, wall_s: float, threads: int) -> str:
    """A sentence for a timeout's row: the CPU seconds the worker used in ``wall_s`` and the
    machine's load average against its cores, with a warning when the load exceeded the cores
    (other processes may have starved the cell); "" when neither can be read."""
    parts = []
    if cpu_used is not None:
        parts.append(f"it had used {cpu_used:.0f} s of CPU in {wall_s:.0f} s of wall time "
                     f"with {threads} thread{'s' if threads != 1 else ''}")
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on Windows
        load = None
    cores = os.cpu_count() or 1
    if load is not None:
        parts.append(f"the load average was {load:.1f} on {cores} core{'s' if cores != 1 else ''}"
                     + (", more than the cores: other processes may have slowed it"
                        if load > cores else ""))
    text = "; ".join(parts)
    return f"{text[:1].upper()}{text[1:]}." if text else ""
