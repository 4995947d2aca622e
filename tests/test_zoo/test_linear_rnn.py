"""The parallel scan and the linear-recurrent mixers: parallel form vs a sequential reference,
streaming steps vs the parallel model, finite gradients at T = 4,096, FLOPs linear in T; the
same checks on JAX in a subprocess."""

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
from zoo.flops import forward_flops
from zoo.linear_rnn import KINDS, LinearRNNBlock
from zoo.scan import parallel_scan, reference_scan
from zoo.streaming import Streamer

LINEAR = ["mingru", "minlstm", "s4d", "mamba"]
BLOCK_ARGS = {"mingru": {}, "minlstm": {"mlp_ratio": 2}, "s4d": {"mixer": {"d_state": 8}},
              "mamba": {"mixer": {"d_state": 4, "expand": 2}}}


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


@pytest.mark.parametrize("steps", [1, 2, 7, 64, 100])
@pytest.mark.parametrize("complex_", [False, True])
def test_parallel_scan_equals_the_sequential_reference(steps, complex_) -> None:
    a, b, h0 = _random_terms(np.random.default_rng(steps), steps, complex_)
    for initial in (None, h0):
        fast, slow = parallel_scan(a, b, initial), reference_scan(a, b, initial)
        for x, y in zip(*((fast, slow) if complex_ else ((fast,), (slow,))), strict=True):
            np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=1e-5, rtol=1e-5)


def _block(kind: str, width: int = 6) -> LinearRNNBlock:
    keras.utils.set_random_seed(1)
    block = LinearRNNBlock(kind, **BLOCK_ARGS[kind])
    block.build((None, None, width))
    return block


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
    def flops(steps: int) -> int:
        task = zoo.TaskSpec("forecasting", "features", seq_len=steps, num_features=3,
                            num_outputs=2)
        return forward_flops(zoo.build_model(name, task), steps)

    assert flops(16) > 0
    if name == "s4d":  # FFT convolution: T log T
        assert 2 * flops(16) < flops(32) < 2.5 * flops(16)
    else:  # scans: linear
        assert flops(32) == 2 * flops(16)


def test_modern_hyperparameters_are_checked() -> None:
    task = TINY_TASKS["frames->classes"]
    with pytest.raises(ValueError, match="init='diag' is not allowed"):
        zoo.build_model("s4d", task, init="diag")
    with pytest.raises(ValueError, match="mlp_ratio must be a non-negative integer"):
        zoo.build_model("mingru", task, mlp_ratio=-1)
    with pytest.raises(ValueError, match="d_state must be a positive integer"):
        zoo.build_model("mamba", task, d_state=0)
    with pytest.raises(ValueError, match="needs a fixed seq_len"):
        zoo.build_model("mamba", zoo.TaskSpec("classification", "features", seq_len=None,
                                              num_features=3, num_outputs=2))


JAX_SCRIPT = textwrap.dedent(
    """
    import os, sys
    import keras, numpy as np
    assert keras.backend.backend() == "jax"
    sys.path.insert(0, os.environ["SEQZOO_TESTS"])
    from test_zoo.test_linear_rnn import _random_terms, BLOCK_ARGS
    from zoo.linear_rnn import KINDS, LinearRNNBlock
    from zoo.scan import parallel_scan, reference_scan
    rng = np.random.default_rng(0)
    for complex_ in (False, True):
        for steps in (1, 7, 100):
            a, b, h0 = _random_terms(rng, steps, complex_)
            fast, slow = parallel_scan(a, b, h0), reference_scan(a, b, h0)
            pairs = zip(fast, slow) if complex_ else [(fast, slow)]
            for x, y in pairs:
                np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=1e-5, rtol=1e-5)
    for kind in KINDS:
        keras.utils.set_random_seed(1)
        block = LinearRNNBlock(kind, **BLOCK_ARGS[kind])
        block.build((None, None, 6))
        x = rng.normal(size=(2, 19, 6)).astype("float32")
        state, ys = block.initial_state(2), []
        for t in range(19):
            y, state = block.step(x[:, t], state)
            ys.append(np.asarray(y))
        np.testing.assert_allclose(np.stack(ys, 1), np.asarray(block(x)), atol=1e-5, rtol=1e-4)
    print("OK")
    """
)


def test_scan_and_steps_on_jax() -> None:
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           "SEQZOO_TESTS": os.path.dirname(os.path.dirname(__file__))}
    proc = subprocess.run([sys.executable, "-c", JAX_SCRIPT], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stderr[-3000:]
