"""A worker process, born for one cell: ``python -m benchmarks.grids.workers.child``, or
:func:`forked` from the template of :mod:`benchmarks.grids.workers.forks`.

The parent starts it with the slot's environment (``KERAS_BACKEND``, the thread caps,
``SEQZOO_THREADS``, GPU pinning) before it has a cell for it, so the backend imports while the
slot's previous cell still runs. Then the parent writes one line to its standard input,
``JOB<TAB>RESULT``: ``JOB`` is a JSON file holding the cell (key, spec, attempt). The process
caps its CPU threads, imports the spec's plugins, runs ``harness.run`` (with the gradient-flow
callback if the spec asks; or, for a ``scale`` spec, :func:`benchmarks.grids.scale.measure`)
and writes ``{"record": ..., "dataset": ...}`` to ``RESULT`` atomically; end of input instead
means it is not needed, and it exits. A failure to even open the dataset is a failed record
too; anything that kills the process (a signal, an OOM kill) is the parent's to record. The
process exits when its parent does, so a killed worker leaves no orphan training.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any


def _exit_with_parent(parent: int) -> None:
    """End this process soon after ``parent`` has gone (its cell is then re-queued)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(70)

    threading.Thread(target=watch, daemon=True, name="seqzoo-parent-watch").start()


def _cap_threads(threads: int) -> None:
    """Cap the backend's CPU threads (the variables are set by the parent before start)."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))
    elif keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(threads)


def _callbacks(spec: dict[str, Any], data: Any, cell: Any) -> list[Any]:
    """The callbacks a cell asks for: gradient flow on 128 validation samples, the trained
    weights at other lengths (:mod:`benchmarks.cell.extrapolate`), TensorBoard."""
    callbacks = []
    if spec.get("gradient_flow"):
        from benchmarks.cell.gradflow import GradientFlow

        x, y = data.load("val")
        callbacks.append(GradientFlow(x[:128], y[:128]))
    if spec.get("extrapolate"):
        from benchmarks.cell.extrapolate import Extrapolation

        callbacks.append(Extrapolation(spec["extrapolate"]))
    if spec.get("tensorboard"):
        from benchmarks.grids.tracking import tensorboard_callback

        callbacks.append(tensorboard_callback(spec["tensorboard"], cell.suite, cell.dataset,
                                              cell.model, cell.seed))
    return callbacks


def run_job(job: dict[str, Any], start: str = "spawn") -> dict[str, Any]:
    """Run the job's cell; ``{"record": row, "dataset": provenance or None}``. ``start`` is
    how this process began (``spawn``: a new Python; ``fork``: forked from the template),
    kept in the record's ``extra`` as ``worker_start``: a forked worker's peak host memory
    counts only the pages of the template's imports that the run touches, so it reads lower
    than a spawned one's (by about 470 MiB for TensorFlow on a 2-core Xeon)."""
    import keras

    from results.queue import Cell

    cell = Cell(**job["cell"])
    spec = cell.spec
    if spec.get("backend", keras.backend.backend()) != keras.backend.backend():
        raise RuntimeError(f"worker started with backend {keras.backend.backend()!r} was given "
                           f"a {spec['backend']!r} cell")
    from benchmarks.cell.harness import Budget, error_line, run
    from benchmarks.cell.measure import current_host_mib
    from benchmarks.cell.settings import RunSettings
    from benchmarks.data import open_dataset
    from benchmarks.plugins import load_entry_points, load_plugin, provenance
    from results.queue import failed_record

    threads = int(os.environ.get("SEQZOO_THREADS", "0")) or None
    if threads:
        _cap_threads(threads)
    at_start = current_host_mib()
    dataset = None
    try:  # a plugin, dataset or device that fails to load: a row, not a crash
        for plugin in spec.get("plugins", []):
            load_plugin(plugin)
        load_entry_points()
        data = open_dataset(cell.dataset, spec.get("data_dir"))
        settings = RunSettings(**spec.get("settings", {}))
        if "scale" in spec:
            from benchmarks.grids.scale import measure

            record = measure(cell.model, data, cell.seed, spec["scale"],
                             spec.get("device", "auto"), spec.get("hparams") or {}, settings)
        else:
            record = run(cell.model, data, cell.seed, Budget(**spec["budget"]),
                         spec.get("device", "auto"), suite=cell.suite,
                         hparams=spec.get("hparams"), callbacks=_callbacks(spec, data, cell),
                         settings=settings)
        if record.dataset_fingerprint:
            dataset = {"name": data.id, "fingerprint": data.fingerprint, "info": data.info()}
    except Exception as error:
        record = failed_record(cell, error_line(error))
    record.host_mib_at_start = at_start
    record.threads = threads
    record.gpu = os.environ.get("CUDA_VISIBLE_DEVICES") or None
    extra = {**json.loads(record.extra or "{}"), "worker_start": start}
    if spec.get("plugins"):  # code from outside seqzoo that this row ran with
        extra["plugins"] = [provenance(plugin) for plugin in spec["plugins"]]
    record.extra = json.dumps(extra)
    return {"record": record.to_row(), "dataset": dataset}


def serve(job_path: Path, result_path: Path, start: str = "spawn") -> None:
    """Run the job in ``job_path`` and write its result to ``result_path`` atomically
    (``start``: see :func:`run_job`)."""
    result = run_job(json.loads(job_path.read_text()), start)
    partial = result_path.with_suffix(".partial")
    partial.write_text(json.dumps(result, default=str))
    partial.replace(result_path)


def main() -> int:
    """Entry point: import the backend, wait for the job line, run it, write the result."""
    _exit_with_parent(int(os.environ.get("SEQZOO_PARENT_PID", os.getppid())))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import benchmarks.cell.harness  # noqa: F401  (the imports a cell needs, done while waiting)

    line = sys.stdin.readline().strip()
    if not line:
        return 0
    job_path, result_path = (Path(part) for part in line.split("\t"))
    serve(job_path, result_path)
    return 0


def forked(job_path: str, result_path: str, log_path: str, env: dict[str, str]) -> None:
    """The body of a worker forked from the template (:mod:`benchmarks.grids.workers.forks`):
    its output goes to the cell's log, the slot's variables (GPU pinning) are set, and it ends
    soon after the template does; then it runs the job as :func:`main` does."""
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.environ.update(env)
    _exit_with_parent(os.getppid())
    serve(Path(job_path), Path(result_path), "fork")


if __name__ == "__main__":
    sys.exit(main())
