"""Run ``harness.run`` in a fresh process on a chosen backend and number of CPU devices (the
backend and the device split are fixed when a process starts); its record as a dict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, sys
    backend, devices, model, dataset = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    if backend == "tensorflow" and devices > 1:
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * devices)
    from benchmarks.cell.devices import select_device
    from benchmarks.cell.harness import Budget, run
    plan = select_device("cpu")
    budget = Budget(epochs=2, batch_size=32, max_train=128, max_eval=64)
    record = run(model, dataset, 0, budget, plan, hparams=json.loads(sys.argv[5]))
    print("RESULT" + json.dumps({**record.to_row(), "device_count": plan.count}))
    """
)


def run_in_process(backend: str, devices: int, model: str, dataset: str,
                   hparams: dict | None = None) -> dict:
    """The record of one tiny-budget run of ``model`` on ``dataset`` in a new process with
    ``backend`` over ``devices`` CPU devices (logical devices on TensorFlow, XLA host devices on
    JAX); asserts the process succeeded."""
    env = {**os.environ, "KERAS_BACKEND": backend}
    if backend == "jax" and devices > 1:
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    proc = subprocess.run([sys.executable, "-c", SCRIPT, backend, str(devices), model, dataset,
                           json.dumps(hparams or {})], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])
