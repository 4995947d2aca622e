"""Speed against PyTorch: ``seqzoo perf`` (each backend: ``python -m benchmarks.perf.peers JOB``).

For rnn, lstm, gru, bilstm, stacked_lstm and transformer, the zoo model and its hand-written
PyTorch peer (:mod:`benchmarks.perf.torch_peers`, same trainable parameter count) train and
predict on the same arrays, batch, optimizer (Adam, 1e-3) and loss, side by side in one process
and in alternating order. Each figure is the median over ``--repeats`` epochs after one warm-up
epoch (tracing, compilation). The shapes are the quick suite's, one per task family, and one
larger (100 steps of 32 log-mel bins from ``tts_commands``, hidden width 512, batch 128).

Each Keras backend runs in its own process (the backend is fixed at import). The rows, with
the PyTorch version and thread counts, go to a CSV and to the store, whose report then holds
a "Speed against PyTorch" section. The zoo side runs with seqzoo's execution settings
(``--jit auto``: the XLA setting measured fastest), and seeds without TensorFlow's
deterministic ops, which cannot be switched off again in a process that times several models.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SUITE = "peers"
#: the zoo models with a hand-written PyTorch peer
PEERS = ("rnn", "lstm", "gru", "bilstm", "stacked_lstm", "transformer")
#: the larger shape: seq 100, 32 inputs, hidden 512, batch 128 (real log-mel frames)
LARGE = "tts_commands:mel_bins=32"


@dataclass(frozen=True)
class Shape:
    """One input shape: a dataset (cut to ``steps``), a batch and width overrides."""

    name: str
    dataset: str
    batch: int
    steps: int | None = None
    width: int | None = None
    hparams: dict[str, Any] = field(default_factory=dict)

    def model_hparams(self, model: str) -> dict[str, int]:
        """Hyperparameters over the zoo defaults: the shape's hidden width, if it sets one."""
        if self.width is None:
            return {}
        from benchmarks.grids.scale import width_hparams

        return width_hparams(model, self.width)


#: the order of the shapes in tables and messages (the quick suite runs its costliest first)
FAMILY_ORDER = ("sentiment", "speech", "forecasting")


def shapes() -> dict[str, Shape]:
    """The quick suite's dataset of each task family (its batch size), in
    :data:`FAMILY_ORDER`, and the large shape."""
    from benchmarks.data import dataset_class
    from benchmarks.grids.suites import get_suite

    found = {dataset_class(name).family: Shape(dataset_class(name).family, name,
                                               budget.batch_size)
             for name, budget in get_suite("quick").datasets.items()}
    ordered = sorted(found.items(), key=lambda item: FAMILY_ORDER.index(item[0])
                     if item[0] in FAMILY_ORDER else len(FAMILY_ORDER))
    return {**dict(ordered), "large": Shape("large", LARGE, 128, steps=100, width=512)}


def load_arrays(shape: Shape, samples: int) -> tuple[Any, np.ndarray, np.ndarray]:
    """``(task, x, y)``: the shape's training split, repeated or cut to ``samples``."""
    import zoo
    from benchmarks.data import get_dataset

    data = get_dataset(shape.dataset)
    x, y = data.load("train")
    task = data.task_spec()
    if shape.steps is not None:
        x = x[:, : shape.steps]
        task = zoo.TaskSpec(task.kind, task.input, shape.steps, task.num_features,
                            task.vocab_size, task.num_outputs)
    index = np.arange(samples) % len(x)
    return task, x[index], y[index]


def _seconds(call: Any) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


class TorchSide:
    """A peer's training loop and inference, as a PyTorch user writes them."""

    def __init__(self, peer: Any, task: Any, x: np.ndarray, y: np.ndarray, batch: int,
                 device: str) -> None:
        import torch

        self.torch, self.batch = torch, batch
        self.device = torch.device("cuda" if device == "gpu" else "cpu")
        self.model = peer.to(self.device)
        self.x = torch.as_tensor(x).to(self.device)
        self.y = torch.as_tensor(y).to(self.device)
        if task.kind == "classification":
            self.y, self.loss = self.y.long(), torch.nn.CrossEntropyLoss()
        else:
            self.loss = torch.nn.MSELoss()
        self.optimizer = torch.optim.Adam(
            [p for p in self.model.parameters() if p.requires_grad], lr=1e-3)

    def _sync(self) -> None:
        if self.device.type == "cuda":
            self.torch.cuda.synchronize()

    def train_epoch(self) -> None:
        """One shuffled epoch of optimizer steps."""
        self.model.train()
        order = self.torch.randperm(len(self.x), device=self.device)
        for i in range(0, len(order), self.batch):
            index = order[i:i + self.batch]
            self.optimizer.zero_grad(set_to_none=True)
            self.loss(self.model(self.x[index]), self.y[index]).backward()
            self.optimizer.step()
        self._sync()

    def predict(self) -> None:
        """Forward passes over every sample in batches, without gradients."""
        self.model.eval()
        with self.torch.inference_mode():
            for i in range(0, len(self.x), self.batch):
                self.model(self.x[i:i + self.batch])
        self._sync()


def compare(model: str, shape: Shape, samples: int, repeats: int, device: str, jit: str
            ) -> dict[str, Any]:
    """Train and predict ``model`` and its peer alternately on ``shape``; one result row."""
    import keras
    import torch

    import zoo
    from benchmarks.cell.settings import RunSettings
    from benchmarks.perf.torch_peers import build_peer, trainable_count

    task, x, y = load_arrays(shape, samples)
    hparams = zoo.resolve_hparams(model, shape.model_hparams(model))
    keras.utils.set_random_seed(0)
    zoo_model = zoo.create_model(model, task, jit_compile=RunSettings(jit=jit).jit_compile(
        model, device), **hparams)
    zoo.adapt_stem(zoo_model, x)
    torch.manual_seed(0)
    peer = TorchSide(build_peer(model, task, hparams, x), task, x, y, shape.batch, device)
    zoo_params = sum(int(np.prod(w.shape)) for w in zoo_model.trainable_weights)
    arms = {
        "zoo_train": lambda: zoo_model.fit(x, y, batch_size=shape.batch, epochs=1, verbose=0),
        "torch_train": peer.train_epoch,
        "zoo_infer": lambda: zoo_model.predict(x, batch_size=shape.batch, verbose=0),
        "torch_infer": peer.predict,
    }
    for arm in arms.values():  # warm-up: tracing, compilation, allocator
        arm()
    times: dict[str, list[float]] = {name: [] for name in arms}
    for r in range(repeats):  # alternate which side goes first
        for pair in (("zoo_train", "torch_train"), ("zoo_infer", "torch_infer")):
            for name in (pair if r % 2 == 0 else pair[::-1]):
                times[name].append(_seconds(arms[name]))
    rate = {name: samples / statistics.median(t) for name, t in times.items()}
    return {
        "model": model, "shape": shape.name, "dataset": shape.dataset, "batch": shape.batch,
        "seq_len": task.seq_len, "hparams": hparams, "samples": samples, "repeats": repeats,
        "zoo_params": zoo_params, "torch_params": trainable_count(peer.model),
        "zoo_train_per_s": rate["zoo_train"], "torch_train_per_s": rate["torch_train"],
        "zoo_infer_per_s": rate["zoo_infer"], "torch_infer_per_s": rate["torch_infer"],
        "train_ratio": rate["zoo_train"] / rate["torch_train"],
        "infer_ratio": rate["zoo_infer"] / rate["torch_infer"],
        "jit_compile": bool(zoo_model.jit_compile),
        "kernel": zoo.kernel_summary(zoo_model, device=device),
    }


def run_backend(models: list[str], shape_names: list[str], samples: int, repeats: int,
                device: str, jit: str, threads: int) -> list[dict[str, Any]]:
    """Every (shape, model) comparison on the backend this process runs; result rows."""
    import keras
    import torch

    from benchmarks.cell.provenance import versions

    torch.set_num_threads(threads)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
    common = {"backend": keras.backend.backend(), "device": device,
              "torch_version": torch.__version__, "torch_threads": torch.get_num_threads(),
              "threads": threads, **versions()}
    known = shapes()
    rows = []
    for name in shape_names:
        for model in models:
            try:
                row = compare(model, known[name], samples, repeats, device, jit)
                row["status"] = "ok"
            except Exception as error:  # one failing pair is a row, the table goes on
                row = {"model": model, "shape": name, "dataset": known[name].dataset,
                       "status": "failed", "error": f"{type(error).__name__}: {error}"}
            rows.append({**common, **row})
            print("ROW" + json.dumps(rows[-1], default=str), flush=True)
    return rows


def _prepare_child() -> None:
    """Import ``torch._dynamo`` before Keras in a child. PyTorch's optimizers import it on
    their first use, and with it, in PyTorch builds that ship Triton (PyPI's CUDA wheels, also
    on a CPU machine), Triton's bundled LLVM, which crashes a process that loaded TensorFlow
    first (SIGSEGV). Loaded first, Triton binds its own symbols and TensorFlow loads beside
    it. (Measured with torch 2.14.1 and triton 3.8.0 beside TensorFlow 2.21: ``import
    tensorflow; import triton`` dies by SIGSEGV, the reverse order runs.)"""
    import torch._dynamo  # noqa: F401


def _child_rows(backend: str, request: PeersRequest) -> list[dict[str, Any]]:
    """Run one Keras backend in a fresh process; its rows. A child that dies by a signal,
    or fails with no row, is one ``ChildProcessError`` line."""
    job = {"models": list(request.models), "shape_names": list(request.shapes),
           "samples": request.samples, "repeats": request.repeats, "device": request.device,
           "jit": request.jit, "threads": request.threads}
    command = [sys.executable, "-m", "benchmarks.perf.peers", json.dumps(job)]
    proc = subprocess.run(command, env={**os.environ, "KERAS_BACKEND": backend},
                          capture_output=True, text=True)
    rows = [json.loads(line[3:]) for line in proc.stdout.splitlines() if line.startswith("ROW")]
    if proc.returncode != 0 and not rows:
        from benchmarks.cell.quiet import is_native_log

        if proc.returncode < 0:
            reason = f"killed by {signal.Signals(-proc.returncode).name}"
        else:
            tail = [line for line in proc.stderr.splitlines()
                    if not is_native_log(line.encode())]
            reason = tail[-1] if tail else f"exit status {proc.returncode}"
        raise ChildProcessError(f"the {backend} backend's peers run failed: {reason}")
    return rows


def store_rows(rows: list[dict[str, Any]], store_url: str) -> None:
    """Write the rows to the store as ``peers`` records (one per backend, device, shape and
    model; a later run replaces them)."""
    from benchmarks.cell.devices import cpu_name
    from benchmarks.cell.provenance import git_revision
    from results.record import RunRecord, hparams_hash, utc_now
    from results.store import Store

    records = []
    for row in rows:
        key = {k: row.get(k) for k in ("backend", "device", "shape", "samples", "hparams")}
        record = RunRecord(
            model=row["model"], dataset=row["dataset"], seed=0, suite=SUITE,
            backend=row.get("backend", ""), device=row.get("device", "cpu"),
            hparams_hash=hparams_hash(key), status=row["status"], error=row.get("error"),
            hparams=json.dumps(row.get("hparams", {}), sort_keys=True),
            params=row.get("zoo_params"), train_samples_per_s=row.get("zoo_train_per_s"),
            infer_samples_per_s=row.get("zoo_infer_per_s"), kernel=row.get("kernel"),
            threads=row.get("threads"), device_name=cpu_name(),
            started_at=utc_now(), git_revision=git_revision(),
            extra=json.dumps(row, default=str),
            **{k: row.get(k, "") for k in ("seqzoo_version", "keras_version",
                                            "backend_version", "python_version")})
        records.append(record)
    store = Store(store_url)
    for record in records:
        store.add(record)


def print_table(rows: list[dict[str, Any]]) -> None:
    """The ratios zoo / PyTorch, one line per backend, shape and model."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="zoo / PyTorch (samples/s, median of repeated epochs; > 1: zoo faster)")
    for column in ("backend", "shape", "model", "params", "zoo train/s", "torch train/s",
                   "train ratio", "infer ratio", "jit", "status"):
        table.add_column(column, justify="left" if column in ("backend", "shape", "model",
                                                              "status") else "right")
    for r in rows:
        ok = r["status"] == "ok"
        table.add_row(r.get("backend", ""), r["shape"], r["model"],
                      f"{r['zoo_params']:,}" if ok else "",
                      f"{r['zoo_train_per_s']:.0f}" if ok else "",
                      f"{r['torch_train_per_s']:.0f}" if ok else "",
                      f"{r['train_ratio']:.2f}" if ok else "",
                      f"{r['infer_ratio']:.2f}" if ok else "",
                      ("on" if r["jit_compile"] else "off") if ok else "",
                      r["status"] if ok else r.get("error", "failed")[:60])
    Console(width=max(120, Console().width)).print(table)


def write_csv(rows: list[dict[str, Any]], path: str) -> Path:
    """The rows as CSV (hyperparameters as JSON)."""
    import pandas as pd

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)
    if "hparams" in frame:
        frame["hparams"] = frame["hparams"].map(json.dumps)
    frame.to_csv(out, index=False)
    return out


@dataclass(frozen=True)
class PeersRequest:
    """One checked ``seqzoo perf``: which backends, models and shapes, and how to time them."""

    backends: tuple[str, ...]
    models: tuple[str, ...]
    shapes: tuple[str, ...]
    samples: int = 1024
    repeats: int = 5
    device: str = "cpu"
    jit: str = "auto"
    threads: int = 1
    csv: str = "seqzoo-results/peers.csv"
    store: str = "seqzoo-results/seqzoo.sqlite"

    def check(self) -> None:
        """One-line errors for unknown backends, models and shapes."""
        from benchmarks.cell.checks import check_choice
        from benchmarks.cell.devices import BACKENDS

        for flag, values, allowed in (("backend", self.backends, BACKENDS),
                                      ("model", self.models, PEERS),
                                      ("shape", self.shapes, tuple(shapes()))):
            for value in values:
                check_choice(flag, value, allowed, why="has no peers run")


def run(request: PeersRequest) -> int:
    """``seqzoo perf``: the comparison for each backend in its own process; print, write the
    CSV and store rows."""
    import importlib.util

    request.check()
    if importlib.util.find_spec("torch") is None:
        raise ValueError("seqzoo perf needs PyTorch: pip install 'seqzoo[peers]' (CPU wheels: "
                         "--index-url https://download.pytorch.org/whl/cpu)")
    rows = [row for backend in request.backends for row in _child_rows(backend, request)]
    print_table(rows)
    csv = write_csv(rows, request.csv)
    store_rows(rows, request.store)
    print(f"wrote {csv} and {len(rows)} rows to {request.store} (`seqzoo report` adds the "
          "section)")
    return 0


if __name__ == "__main__":  # a child: one backend's rows, the job as JSON (see _child_rows)
    _prepare_child()
    run_backend(**json.loads(sys.argv[1]))
