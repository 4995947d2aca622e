"""Every family on the PyTorch backend, in one subprocess (the backend is fixed at import):
build, fit, and a ``.keras`` round trip on each task shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import zoo

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, tempfile
    import keras, numpy as np
    sys.path.insert(0, os.environ["SEQZOO_TESTS"])
    from shapes import TINY_TASKS, tiny_batch
    import zoo
    assert keras.backend.backend() == "torch", keras.backend.backend()
    out = {}
    for name in zoo.list_models():
        for shape, task in TINY_TASKS.items():
            keras.utils.set_random_seed(0)
            x, y = tiny_batch(task)
            model = zoo.create_model(name, task, learning_rate=1e-2)
            before = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
            model.fit(x, y, epochs=4, batch_size=len(x), verbose=0, shuffle=False)
            after = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
            path = os.path.join(tempfile.mkdtemp(), "m.keras")
            model.save(path)
            same = np.allclose(keras.saving.load_model(path).predict(x, verbose=0),
                               model.predict(x, verbose=0), atol=1e-6)
            out[f"{name}/{shape}"] = {"before": float(before), "after": float(after),
                                      "same": bool(same)}
    print("RESULT" + json.dumps(out))
    """
)


def test_every_family_on_torch() -> None:
    pytest.importorskip("torch", reason="the torch backend test needs PyTorch: pip install "
                                        "'torch==2.13.*' (a CPU build: see the README)")
    env = {**os.environ, "KERAS_BACKEND": "torch",
           "SEQZOO_TESTS": os.path.dirname(os.path.dirname(__file__))}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))
    results = json.loads(line[len("RESULT"):])
    assert {k.split("/")[0] for k in results} == set(zoo.list_models())
    for case, result in results.items():
        assert result["after"] < result["before"], (case, result)
        assert result["same"], case
