"""Data parallelism on CPU devices: TensorFlow's MirroredStrategy over two logical CPUs, and
JAX sharding over two XLA host devices, each give the loss of one device; and the kernel a
token model records on JAX."""

from __future__ import annotations

import json

import numpy as np
import pytest
from runprobe import run_in_process

#: no dropout, so the replicas draw no random masks of their own
NO_DROPOUT = {"dropout": 0.0}


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_two_cpu_devices_train_like_one(backend: str) -> None:
    one = run_in_process(backend, 1, "lstm", "japanese_vowels", NO_DROPOUT)
    two = run_in_process(backend, 2, "lstm", "japanese_vowels", NO_DROPOUT)
    assert (one["device_count"], two["device_count"]) == (1, 2)
    assert one["status"] == two["status"] == "ok", (one["error"], two["error"])
    assert "2" in two["device_name"]
    losses = [json.loads(r["extra"])["history"]["loss"] for r in (one, two)]
    assert len(losses[0]) == 2
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)
    assert two["accuracy"] == pytest.approx(one["accuracy"], abs=1 / 64)


def test_token_model_on_jax_records_the_generic_kernel_because_of_the_mask() -> None:
    record = run_in_process("jax", 1, "lstm", "mr_polarity")
    assert record["status"] == "ok", record["error"]
    assert record["kernel"] == "generic"
    (detail,) = json.loads(record["extra"])["kernels"].values()
    assert "mask" in detail and "GPU" in detail
