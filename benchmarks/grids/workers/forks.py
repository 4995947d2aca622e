"""Fresh worker processes forked from a template that imported the backend once.

On a CPU machine every cell's process used to import TensorFlow, JAX or PyTorch itself (about
5 s of CPU each on a 2-core machine), and with every core already training, that import took
its time from the cells that were running: about a sixth of the quick suite's wall time. So
on Linux a CPU slot's process is forked from multiprocessing's fork server instead: a Python
process started once per ``seqzoo run`` / ``seqzoo worker`` with the slot's environment, which
imports :mod:`benchmarks.cell.harness` (the backend, Keras, the zoo, the datasets) and never
runs a cell. Each fork is still born for one cell and dies after it; nothing a cell does
reaches the template or another cell.

The server serves one environment (backend and thread caps): a cell of another backend, a
slot pinned to GPUs (whose runs are long, and whose CUDA state should start in the process
that uses it) and other platforms get a process started from scratch, as before.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
from multiprocessing import spawn
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess

from benchmarks.grids.workers.slots import Slot

#: what the template imports before it forks: everything a cell needs
PRELOAD = ["benchmarks.grids.workers.child", "benchmarks.cell.harness", "benchmarks.data"]

#: the function a forked worker runs, named as ``python -m`` names the spawned worker's module
WORKER = ("benchmarks.grids.workers.child", "forked")

#: the environment the fork server was started with, once it is
_served: dict[str, str] | None = None


def template_environment(slot: Slot, backend: str) -> dict[str, str]:
    """The variables a forked worker of ``slot`` shares with the template: the backend and
    the thread caps, read when the backend loads."""
    env = {k: v for k, v in slot.environment().items() if k != "CUDA_VISIBLE_DEVICES"}
    return {**env, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL":
            os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"), "PYTHONUNBUFFERED": "1"}


def start_mode() -> str:
    """``SEQZOO_WORKER_START``: ``fork`` (the default) or ``spawn``.

    Raises:
        ValueError: any other value.
    """
    mode = os.environ.get("SEQZOO_WORKER_START", "fork")
    if mode not in ("fork", "spawn"):
        raise ValueError(f"SEQZOO_WORKER_START={mode!r} is not allowed; use fork or spawn")
    return mode


def can_fork(slot: Slot, backend: str) -> bool:
    """Whether ``slot``'s cells of ``backend`` are forked from the template: on Linux, a slot
    with no GPU, the server not yet started or started with this environment, and
    ``SEQZOO_WORKER_START`` unset or ``fork`` (``spawn`` starts every worker from scratch).

    Raises:
        ValueError: as :func:`start_mode`.
    """
    return (start_mode() == "fork" and sys.platform.startswith("linux") and not slot.gpus
            and "forkserver" in multiprocessing.get_all_start_methods()
            and _served in (None, template_environment(slot, backend)))


def context(slot: Slot, backend: str) -> BaseContext:
    """The fork-server context for ``slot`` and ``backend`` (:func:`can_fork` must hold);
    the first call starts the server with their environment."""
    global _served
    ctx = multiprocessing.get_context("forkserver")
    if _served is None:
        env = template_environment(slot, backend)
        ctx.set_forkserver_preload(PRELOAD)
        saved = dict(os.environ)
        os.environ.update(env)  # the server inherits this process's environment at its start
        try:
            from multiprocessing import forkserver

            forkserver.ensure_running()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        _served = env
    return ctx


def start(process: BaseProcess) -> None:
    """Start a process of :func:`context` without re-running the parent's main module in it.

    multiprocessing prepares each child by importing the parent's ``__main__`` again (what a
    spawned child needs to unpickle functions defined there). A worker needs nothing from it,
    and a script that builds a grid at the top level, without an ``if __name__ ==
    "__main__"`` guard, would run its grid again in every worker. So the preparation is
    started without the main module.
    """
    prepare = spawn.get_preparation_data

    def without_main(name: str) -> dict:
        return {k: v for k, v in prepare(name).items() if not k.startswith("init_main_from")}

    spawn.get_preparation_data = without_main
    try:
        process.start()
    finally:
        spawn.get_preparation_data = prepare


def call(module: str, function: str, *args: object) -> None:
    """Run ``module.function(*args)``: the target of a forked worker (:data:`WORKER`)."""
    getattr(importlib.import_module(module), function)(*args)
