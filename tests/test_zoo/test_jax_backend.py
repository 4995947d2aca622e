"""Every family on the JAX backend, in a subprocess (the backend is fixed at import)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import zoo

pytest.importorskip("jax")

SCRIPT = textwrap.dedent(
    """
    import json, sys, tempfile, os
    import keras, numpy as np
    sys.path.insert(0, os.environ["SEQZOO_TESTS"])
    from shapes import TINY_TASKS, tiny_batch
    import zoo
    assert keras.backend.backend() == "jax", keras.backend.backend()
    name, out = sys.argv[1], {}
    for shape, task in TINY_TASKS.items():
        keras.utils.set_random_seed(0)
        x, y = tiny_batch(task)
        model = zoo.create_model(name, task, learning_rate=1e-2)
        before = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
        model.fit(x, y, epochs=8, batch_size=len(x), verbose=0, shuffle=False)
        after = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
        path = os.path.join(tempfile.mkdtemp(), "m.keras")
        model.save(path)
        same = np.array_equal(keras.saving.load_model(path).predict(x, verbose=0),
                              model.predict(x, verbose=0))
        out[shape] = {"before": float(before), "after": float(after), "same": bool(same),
                      "shape": list(model.predict(x, verbose=0).shape)}
    print("RESULT" + json.dumps(out))
    """
)


@pytest.mark.parametrize("name", zoo.list_models())
def test_family_on_jax(name: str) -> None:
    env = {**os.environ, "KERAS_BACKEND": "jax", "SEQZOO_TESTS": os.path.dirname(__file__) + "/..",
           "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, name], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))
    for shape, result in json.loads(line[len("RESULT"):]).items():
        assert result["after"] < result["before"], (shape, result)
        assert result["same"], shape
        assert result["shape"][1] > 0
