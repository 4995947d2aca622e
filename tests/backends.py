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


def _run_script(script: str, backend: str, args: list[str], **env: str) -> str:
    """Run ``script`` with ``args`` in a fresh Python on ``backend``, with the tests folder
    importable; assert it succeeded and return its stdout."""
    environ = {**os.environ, "KERAS_BACKEND": backend,
               "SEQZOO_TESTS": os.path.dirname(__file__), **env}
    proc = subprocess.run([sys.executable, "-c", script, *args], env=environ,
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def fit_on_backend(backend: str, names: list[str], **env: str) -> dict[str, dict]:
    """Per ``model/shape``: loss before and after fitting, whether the reloaded ``.keras`` file
    predicts the same, and the output shape; asserts the subprocess succeeded."""
    stdout = _run_script(SCRIPT, backend, [backend, ",".join(names)], **env)
    line = next(x for x in stdout.splitlines() if x.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])


def assert_fits_and_round_trips(results: dict[str, dict]) -> None:
    """Every case lowered its loss and reloaded to the same predictions."""
    for case, result in results.items():
        assert result["after"] < result["before"], (case, result)
        assert result["same"], case
        assert result["shape"][1] > 0, case


#: the plugin that makes TensorFlow's optimizer read sparse gradients as dense ones
DENSE_GRADIENTS = os.path.join(os.path.dirname(__file__), os.pardir, "results", "reference",
                               "parity_followup", "tf_dense_gradients.py")

#: one Adam step on each model, its moments saved for comparison (see ``step_on_backend``)
EQUIVALENCE_SCRIPT = textwrap.dedent(
    """
    import os, sys
    import keras, numpy as np
    sys.path.insert(0, os.environ["SEQZOO_TESTS"])
    from shapes import TINY_TASKS, tiny_batch
    import zoo
    label, names, folder, first = sys.argv[1], sys.argv[2].split(","), sys.argv[3], sys.argv[4]
    assert keras.backend.backend() == label.split("-")[0], keras.backend.backend()
    if label.endswith("-dense"):
        from backends import DENSE_GRADIENTS
        from benchmarks.plugins import load_plugin
        load_plugin(DENSE_GRADIENTS)
    for name in names:
        dropout = {"dropout": 0.0} if "dropout" in zoo.get_model_info(name).defaults else {}
        for shape in ("tokens->classes", "steps->horizon"):
            task = TINY_TASKS[shape]
            x, y = tiny_batch(task)
            keras.utils.set_random_seed(0)
            model = zoo.create_model(name, task, learning_rate=1e-2, **dropout)
            stem = os.path.join(folder, f"{name}-{shape.replace('->', '-')}")
            if label == first:
                model.save_weights(stem + ".weights.h5")
            else:
                model.load_weights(stem + ".weights.h5")
            out = {"outputs": keras.ops.convert_to_numpy(model(x, training=False))}
            model.train_on_batch(x, y)
            out |= {v.name: keras.ops.convert_to_numpy(v.value)
                    for v in model.optimizer.variables
                    if v.name.endswith(("_momentum", "_velocity"))}
            np.savez(f"{stem}.{label}.npz", **out)
    """
)


def step_on_backend(label: str, names: list[str], folder: str, first: str) -> None:
    """On the backend ``label`` names (``tensorflow-dense``: TensorFlow with the plugin
    :data:`DENSE_GRADIENTS`), build each model for a padded-token and a forecasting tiny task
    with the weights run ``first`` saved in ``folder`` (``first`` saves them), and save its
    outputs and Adam's moments after one step as ``NAME-SHAPE.LABEL.npz``: the momentum is
    the gradient, scaled, and the velocity its square. (The step itself is not compared: the
    first Adam step is about ``lr * sign(g)``, so float noise in a near-zero gradient element
    moves it by up to ``2 * lr``.)"""
    _run_script(EQUIVALENCE_SCRIPT, label.split("-")[0], [label, ",".join(names), folder, first],
                JAX_PLATFORMS="cpu")
