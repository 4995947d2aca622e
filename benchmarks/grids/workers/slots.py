"""Worker slots: how many cells run at once on this machine, with which threads and GPUs."""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

#: environment variables that cap a process's CPU threads (BLAS, OpenMP, TensorFlow)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "TF_NUM_INTRAOP_THREADS")


@dataclass(frozen=True)
class Slot:
    """One worker slot: its index, CPU thread budget and the GPUs it is pinned to."""

    index: int
    threads: int
    gpus: tuple[str, ...] = ()

    def environment(self) -> dict[str, str]:
        """Variables for a worker process of this slot: thread caps and GPU pinning."""
        env = {name: str(self.threads) for name in THREAD_VARIABLES}
        env["TF_NUM_INTEROP_THREADS"] = str(min(2, self.threads))
        env["SEQZOO_THREADS"] = str(self.threads)
        if self.gpus:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(self.gpus)
        return env


def cpu_cores() -> int:
    """CPU cores this process may use (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def plan_slots(workers: int | None, gpu_count: int) -> list[Slot]:
    """``workers`` slots (default: one per GPU, else 1) sharing the cores evenly.

    With GPUs, slot ``i`` is pinned to GPUs ``i, i + workers, ...`` of those visible, so one
    worker gets them all and one worker per GPU gets one each.

    Raises:
        ValueError: a count below 1, or more GPU workers than GPUs.
    """
    if workers is not None and workers < 1:
        raise ValueError(f"--workers {workers} is not allowed; use 1 or more")
    if workers is not None and gpu_count and workers > gpu_count:
        raise ValueError(f"--workers {workers} asks for {workers} GPU workers but only "
                         f"{gpu_count} GPU{'s are' if gpu_count > 1 else ' is'} visible; use "
                         f"--workers {gpu_count} or fewer, or --device cpu")
    count = workers or max(1, gpu_count)
    visible = _visible_gpus(gpu_count)
    threads = max(1, cpu_cores() // count)
    return [Slot(i, threads, tuple(visible[i::count])) for i in range(count)]


def _visible_gpus(count: int) -> list[str]:
    """The ids of the ``count`` GPUs this process sees, as ``CUDA_VISIBLE_DEVICES`` names
    them."""
    listed = [g.strip() for g in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")
              if g.strip()]
    return (listed or [str(i) for i in range(count)])[:count]


def node_id() -> str:
    """This machine and PID namespace: processes with the same node id can see each other's
    PIDs (the boot id tells machines apart, the namespace inode containers)."""
    parts = [socket.gethostname()]
    for path in ("/proc/sys/kernel/random/boot_id", "/proc/self/ns/pid"):
        try:
            parts.append(str(os.stat(path).st_ino) if path.endswith("pid")
                         else Path(path).read_text().strip())
        except OSError:
            parts.append("?")
    return f"{parts[0]}-{hashlib.sha256('|'.join(parts).encode()).hexdigest()[:8]}"


def worker_id() -> str:
    """``node:pid``: this process as a worker, unique across machines."""
    return f"{node_id()}:{os.getpid()}"


def is_dead_here(worker: str) -> bool:
    """Whether ``worker`` ran on this node and its process no longer exists."""
    node, _, pid = worker.rpartition(":")
    if node != node_id() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False
