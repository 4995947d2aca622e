"""A worker process, born for one cell: ``python -m benchmarks.workers.child JOB RESULT``.

``JOB`` is a JSON file holding the cell (its key, spec and attempt). The process selects the
cell's Keras backend, caps its CPU threads to the slot's budget (``SEQZOO_THREADS``), imports
the spec's plugins, runs ``harness.run`` and writes ``{"record": ..., "dataset": ...}`` to
``RESULT`` atomically. A failure to even open the dataset is a failed record too; anything
that kills the process (a signal, an OOM kill) is the parent's to record. The process exits
when its parent does, so a killed worker leaves no orphan training.
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


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run the job's cell; ``{"record": row, "dataset": provenance or None}``."""
    from results.queue import Cell

    cell = Cell(**job["cell"])
    spec = cell.spec
    os.environ["KERAS_BACKEND"] = spec.get("backend") or os.environ.get("KERAS_BACKEND",
                                                                        "tensorflow")
    from benchmarks.data import open_dataset
    from benchmarks.harness import Budget, error_line, run
    from benchmarks.measure import current_host_mib
    from benchmarks.plugins import load_plugin
    from results.queue import failed_record

    threads = int(os.environ.get("SEQZOO_THREADS", "0")) or None
    if threads:
        _cap_threads(threads)
    for plugin in spec.get("plugins", []):
        load_plugin(plugin)
    at_start = current_host_mib()
    dataset = None
    try:
        data = open_dataset(cell.dataset, spec.get("data_dir"))
        record = run(cell.model, data, cell.seed, Budget(**spec["budget"]),
                     spec.get("device", "auto"), suite=cell.suite, hparams=spec.get("hparams"))
        if record.dataset_fingerprint:
            dataset = {"name": data.name, "fingerprint": data.fingerprint, "info": data.info()}
    except Exception as error:  # the dataset or device could not be opened: a row, not a crash
        record = failed_record(cell, error_line(error))
    record.host_mib_at_start = at_start
    record.threads = threads
    record.gpu = os.environ.get("CUDA_VISIBLE_DEVICES") or None
    return {"record": record.to_row(), "dataset": dataset}


def main(argv: list[str]) -> int:
    """Entry point: read the job, run it, write the result file."""
    job_path, result_path = (Path(a) for a in argv)
    _exit_with_parent(int(os.environ.get("SEQZOO_PARENT_PID", os.getppid())))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    result = run_job(json.loads(job_path.read_text()))
    partial = result_path.with_suffix(".partial")
    partial.write_text(json.dumps(result, default=str))
    partial.replace(result_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
