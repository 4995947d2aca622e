"""The scans and every mixer: each scan form vs a NumPy loop, streaming steps vs the parallel
model, finite gradients at T = 4,096, FLOPs growing as each algorithm does; the same checks on
JAX in a subprocess (PyTorch: ``test_torch_backend.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from shapes import TINY_TASKS, tiny_batch

import zoo
from zoo.block import KINDS, LinearRNNBlock
from zoo.flops import forward_flops
from zoo.scan import FORMS, linear_scan
from zoo.streaming import Streamer
from zoo.xlstm import CHUNK, MLSTM_FORMS

#: every model id built of mixer blocks (registry-generated: a new mixer family joins)
LINEAR = [name for name in zoo.list_models()
          if zoo.get_model_info(name).module.endswith((".modern", ".gated"))]
BLOCK_ARGS = {"mingru": {}, "minlstm": {"mlp_ratio": 2}, "s4d": {"mixer": {"d_state": 8}},
              "mamba": {"mixer": {"d_state": 4, "expand": 2}},
              "lru": {"mixer": {"d_state": 5}, "mlp_ratio": 2},
              "hawk": {"mixer": {"heads": 2}, "mlp_ratio": 3, "mlp": "gated", "norm": "rms"},
              "mlstm": {"mixer": {"heads": 2}},
              "slstm": {"mixer": {"heads": 2}, "mlp_ratio": 4 / 3, "mlp": "gated"}}
#: the mixers with several forms, with each form; each is checked against its sequential
#: loop (the mLSTM, which has none, against its parallel form)
SCANNED = [(kind, form) for kind in ("mingru", "minlstm", "mamba", "lru", "hawk")
           for form in FORMS] + [("mlstm", form) for form in MLSTM_FORMS]


def reference_form(kind: str) -> str:
    """The form the other forms of ``kind`` are checked against."""
    return "parallel" if kind == "mlstm" else "sequential"


def numpy_scan(a, b, initial=None):
    """``h_t = a_t h_{t-1} + b_t``, one step at a time (complex where given pairs)."""
    if isinstance(b, tuple):
        a, b = a[0] + 1j * a[1], b[0] + 1j * b[1]
        initial = None if initial is None else initial[0] + 1j * initial[1]
    h = np.zeros_like(b[:, 0]) if initial is None else initial
    out = []
    for t in range(b.shape[1]):
        h = a[:, t] * h + b[:, t]
        out.append(h)
    return np.stack(out, 1)


def _random_terms(rng: np.random.Generator, steps: int, complex_: bool):
    shape = (3, steps, 4, 2)
    if complex_:  # |a| < 1: a decaying rotation, as S4D's A_bar
        radius, angle = rng.uniform(0.2, 0.99, shape), rng.uniform(-3, 3, shape)
        a = (radius * np.cos(angle), radius * np.sin(angle))
        b = (rng.normal(size=shape), rng.normal(size=shape))
        h0 = (rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2)))
        return *(tuple(p.astype("float32") for p in t) for t in (a, b, h0)),
    return (rng.uniform(0, 1, shape).astype("float32"), rng.normal(size=shape).astype("float32"),
            rng.normal(size=(3, 4, 2)).astype("float32"))


def check_forms(rng: np.random.Generator, steps: int, complex_: bool) -> None:
    """Every scan form equals the NumPy loop, from a zero and from a given state."""
    a, b, h0 = _random_terms(rng, steps, complex_)

    def tensor(term):
        if isinstance(term, tuple):
            return tuple(keras.ops.convert_to_tensor(p) for p in term)
        return None if term is None else keras.ops.convert_to_tensor(term)

    for initial in (None, h0):
        expected = numpy_scan(a, b, initial)
        for form in FORMS:
            got = linear_scan(tensor(a), tensor(b), tensor(initial), form=form)
            numpy = keras.ops.convert_to_numpy
            got = numpy(got[0]) + 1j * numpy(got[1]) if complex_ else numpy(got)
            np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5, err_msg=form)


@pytest.mark.parametrize("steps", [1, 2, 7, 64, 100])
@pytest.mark.parametrize("complex_", [False, True])
def test_every_scan_form_equals_the_numpy_loop(steps, complex_) -> None:
    check_forms(np.random.default_rng(steps), steps, complex_)


def _block(kind: str, width: int = 6, scan: str | None = None) -> LinearRNNBlock:
    keras.utils.set_random_seed(1)
    args = dict(BLOCK_ARGS[kind])
    if scan:
        args["mixer"] = {**args.get("mixer", {}), "scan": scan}
    block = LinearRNNBlock(kind, **args)
    block.build((None, None, width))
    return block


def test_every_kind_has_block_arguments() -> None:
    assert set(BLOCK_ARGS) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_streaming_step_equals_the_parallel_form(kind) -> None:
    block = _block(kind)
    x = np.random.default_rng(0).normal(size=(2, 37, 6)).astype("float32")
    parallel = np.asarray(block(x))
    state, steps = block.initial_state(2), []
    for t in range(x.shape[1]):
        y, state = block.step(x[:, t], state)
        steps.append(np.asarray(y))
    np.testing.assert_allclose(np.stack(steps, axis=1), parallel, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize(("kind", "form"), SCANNED)
def test_each_form_of_a_mixer_gives_the_same_output(kind, form) -> None:
    x = np.random.default_rng(0).normal(size=(2, 37, 6)).astype("float32")
    reference = np.asarray(_block(kind, scan=reference_form(kind))(x))
    np.testing.assert_allclose(np.asarray(_block(kind, scan=form)(x)), reference, atol=1e-5,
                               rtol=1e-4)


@pytest.mark.parametrize("kind", KINDS)
def test_gradients_are_finite_at_4096_steps(kind) -> None:
    block = _block(kind, width=8)
    x = tf.constant(np.random.default_rng(0).normal(size=(2, 4096, 8)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_mean(block(x)[:, -1] ** 2)
    grads = tape.gradient(loss, [x, *block.trainable_variables])
    for grad in grads:
        assert grad is not None and np.isfinite(np.asarray(grad)).all()
    assert np.abs(np.asarray(grads[0])[:, -1]).sum() > 0  # the gradient does flow


@pytest.mark.parametrize("name", LINEAR)
@pytest.mark.parametrize("shape", list(TINY_TASKS))
def test_streamer_matches_the_parallel_model(name, shape) -> None:
    task = TINY_TASKS[shape]
    keras.utils.set_random_seed(0)
    model = zoo.build_model(name, task)
    x, _ = tiny_batch(task, n=2)
    if task.input == "tokens":
        x[:] = np.maximum(x, 1)  # a stream has no padding
    else:
        zoo.adapt_stem(model, x)
    streamer = Streamer(model, batch=2)
    for t in range(task.seq_len):
        out = streamer.step(x[:, t])
    np.testing.assert_allclose(out, np.asarray(model(x, training=False)), atol=1e-5, rtol=1e-4)


def test_streamer_refuses_a_model_without_a_streaming_mode() -> None:
    with pytest.raises(ValueError, match="'lstm' has no streaming mode"):
        Streamer(zoo.build_model("lstm", TINY_TASKS["frames->classes"]))


@pytest.mark.parametrize("name", LINEAR)
def test_flops_are_counted_and_grow_as_the_algorithm_does(name) -> None:
    def flops(steps: int, **hparams: str) -> int:
        task = zoo.TaskSpec("forecasting", "features", seq_len=steps, num_features=3,
                            num_outputs=2)
        return forward_flops(zoo.build_model(name, task, **hparams), steps)

    assert flops(16) > 0
    if name == "s4d":  # FFT convolution: T log T
        assert 2 * flops(16) < flops(32) < 2.5 * flops(16)
    elif name in ("mlstm", "xlstm"):  # the parallel form's T x T products; chunkwise: linear
        assert 2 * flops(16, scan="parallel") < flops(32, scan="parallel")
        assert flops(64, scan="parallel") - 2 * flops(32, scan="parallel") > 2 * (
            flops(32, scan="parallel") - 2 * flops(16, scan="parallel"))
        whole = 2 * CHUNK  # whole chunks: no padding
        assert flops(2 * whole, scan="chunkwise") == 2 * flops(whole, scan="chunkwise")
        assert flops(4 * whole, scan="chunkwise") < flops(4 * whole, scan="parallel")
        assert flops(CHUNK - 8, scan="chunkwise") < flops(CHUNK, scan="chunkwise")
    else:  # scans and loops: linear
        assert flops(32) == 2 * flops(16)


def test_modern_hyperparameters_are_checked() -> None:
    task = TINY_TASKS["frames->classes"]
    with pytest.raises(ValueError, match="init='diag' is not allowed"):
        zoo.build_model("s4d", task, init="diag")
    with pytest.raises(ValueError, match="mlp_ratio must be a non-negative integer"):
        zoo.build_model("mingru", task, mlp_ratio=-1)
    with pytest.raises(ValueError, match="d_state must be a positive integer"):
        zoo.build_model("mamba", task, d_state=0)
    with pytest.raises(ValueError, match="scan='doubling' is not allowed; use one of auto, "
                                         "parallel, chunkwise"):
        zoo.build_model("xlstm", task, scan="doubling")
    with pytest.raises(ValueError, match="needs a fixed seq_len"):
        zoo.build_model("mamba", zoo.TaskSpec("classification", "features", seq_len=None,
                                              num_features=3, num_outputs=2))


BACKEND_SCRIPT = textwrap.dedent(
    """
    import os, sys
    import keras, numpy as np
    assert keras.backend.backend() == os.environ["KERAS_BACKEND"]
    sys.path.insert(0, os.environ["SEQZOO_TESTS"])
    from test_zoo.test_linear_rnn import check_forms, SCANNED, _block, reference_form
    from zoo.block import KINDS
    numpy = keras.ops.convert_to_numpy
    rng = np.random.default_rng(0)
    for complex_ in (False, True):
        for steps in (1, 7, 100):
            check_forms(rng, steps, complex_)
    x = rng.normal(size=(2, 19, 6)).astype("float32")
    for kind, form in SCANNED:
        reference = numpy(_block(kind, scan=reference_form(kind))(x))
        np.testing.assert_allclose(numpy(_block(kind, scan=form)(x)), reference,
                                   atol=1e-5, rtol=1e-4, err_msg=f"{kind} {form}")
    for kind in KINDS:
        block = _block(kind)
        state, ys = block.initial_state(2), []
        for t in range(19):
            y, state = block.step(keras.ops.convert_to_tensor(x[:, t]), state)
            ys.append(numpy(y))
        np.testing.assert_allclose(np.stack(ys, 1), numpy(block(x)), atol=1e-5, rtol=1e-4,
                                   err_msg=kind)
    print("OK")
    """
)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_scan_forms_and_steps_on_other_backends(backend: str) -> None:
    pytest.importorskip(backend)
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu",
           "SEQZOO_TESTS": os.path.dirname(os.path.dirname(__file__))}
    proc = subprocess.run([sys.executable, "-c", BACKEND_SCRIPT], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stderr[-3000:]
