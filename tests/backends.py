"""Run zoo models on another Keras backend in a subprocess (the backend is fixed at import):
build, fit a fixed batch, and a ``.keras`` round trip on each tiny task shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, tempfile
    import keras, numpy as np
    sys.path.insert(0, os.environ["SEQZOO_TESTS"])
    from shapes import TINY_TASKS, tiny_batch
    import zoo
    backend, names, out = sys.argv[1], sys.argv[2].split(","), {}
    assert keras.backend.backend() == backend, keras.backend.backend()
    for name in names:
        for shape, task in TINY_TASKS.items():
            keras.utils.set_random_seed(0)
            x, y = tiny_batch(task)
            model = zoo.create_model(name, task, learning_rate=1e-2)
            before = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
            model.fit(x, y, epochs=8, batch_size=len(x), verbose=0, shuffle=False)
            after = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
            path = os.path.join(tempfile.mkdtemp(), "m.keras")
            model.save(path)
            prediction = model.predict(x, verbose=0)
            same = np.array_equal(keras.saving.load_model(path).predict(x, verbose=0),
                                  prediction)
            out[f"{name}/{shape}"] = {"before": float(before), "after": float(after),
                                      "same": bool(same), "shape": list(prediction.shape)}
    print("RESULT" + json.dumps(out))
    """
)


def fit_on_backend(backend: str, names: list[str], **env: str) -> dict[str, dict]:
    """Per ``model/shape``: loss before and after fitting, whether the reloaded ``.keras`` file
    predicts the same, and the output shape; asserts the subprocess succeeded."""
    environ = {**os.environ, "KERAS_BACKEND": backend,
               "SEQZOO_TESTS": os.path.dirname(__file__), **env}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, backend, ",".join(names)],
                          env=environ, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])


def assert_fits_and_round_trips(results: dict[str, dict]) -> None:
    """Every case lowered its loss and reloaded to the same predictions."""
    for case, result in results.items():
        assert result["after"] < result["before"], (case, result)
        assert result["same"], case
        assert result["shape"][1] > 0, case
