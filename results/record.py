"""The run record: one flat row per (model, dataset, seed, suite) run. Plain data, no Keras."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

STATUSES = ("ok", "failed", "diverged", "oom", "timeout")


@dataclass
class RunRecord:
    """Everything one benchmark run produced; ``None`` where a figure does not apply.

    Units: seconds, samples/s, milliseconds for latency, MiB for memory, FLOPs per sample.
    ``peak_host_mib`` is the peak resident memory of the process that ran it (a fresh worker
    per run under ``seqzoo run``); ``host_mib_at_start`` its resident memory after imports,
    before the run loaded data or built a model, so their difference is the run's own share.
    ``worker`` names the worker (``host:pid``), ``attempt`` counts claims of its cell,
    ``threads`` is the worker's CPU thread budget and ``gpu`` the GPU it was pinned to.
    """

    # ids
    model: str
    dataset: str
    seed: int
    suite: str
    backend: str
    device: str
    hparams_hash: str
    status: str = "ok"
    error: str | None = None
    started_at: str = ""
    # quality
    primary_metric: str = ""
    accuracy: float | None = None
    macro_f1: float | None = None
    mae: float | None = None
    rmse: float | None = None
    rel_mae: float | None = None
    epochs_run: int | None = None
    best_val_loss: float | None = None
    # cost
    params: int | None = None
    train_seconds: float | None = None
    train_samples_per_s: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    infer_samples_per_s: float | None = None
    peak_host_mib: float | None = None
    peak_device_mib: float | None = None
    flops_per_sample: int | None = None
    achieved_gflops: float | None = None
    kernel: str | None = None
    # configuration and provenance
    hparams: str = "{}"
    budget: str = "{}"
    is_baseline: bool = False
    seqzoo_version: str = ""
    keras_version: str = ""
    backend_version: str = ""
    python_version: str = ""
    device_name: str = ""
    git_revision: str | None = None
    dataset_fingerprint: str | None = None
    dataset_version: str | None = None
    extra: str = field(default="{}")
    # the worker process that ran it (schema 4)
    worker: str | None = None
    attempt: int | None = None
    threads: int | None = None
    gpu: str | None = None
    host_mib_at_start: float | None = None
    # the run's floating-point precision, Keras's dtype policy (schema 5)
    precision: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status={self.status!r} is not allowed; use one of {STATUSES}")

    def to_row(self) -> dict[str, Any]:
        """The record as a flat dict (column -> value)."""
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunRecord:
        """A record from a stored row: unknown columns ignored, NaN and NULL read as missing
        (the field's default), integers and booleans restored from their column types."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = row.get(f.name)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            kind = str(f.type)
            values[f.name] = (bool(value) if kind.startswith("bool")
                              else int(value) if kind.startswith("int") else value)
        return cls(**values)

    @classmethod
    def columns(cls) -> list[str]:
        """Column names, in schema order."""
        return [f.name for f in fields(cls)]

    @classmethod
    def column_types(cls) -> dict[str, str]:
        """SQL type per column."""
        sql = {"int": "INTEGER", "float": "REAL", "bool": "BOOLEAN"}
        return {f.name: next((v for k, v in sql.items() if str(f.type).startswith(k)), "TEXT")
                for f in fields(cls)}


def utc_now() -> str:
    """The current UTC time as a record's timestamps hold it (ISO 8601, seconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def hparams_hash(hparams: dict[str, Any]) -> str:
    """A short stable hash of resolved hyperparameters and budget (the resume key part)."""
    blob = json.dumps(hparams, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]

