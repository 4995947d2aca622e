"""The newer families (and minGRU, minLSTM) against sequential NumPy transcriptions of their
authors' code.

Each check sets a layer's weights to fixed random values, runs the layer (its parallel or
looped ``call``), and compares with a step-by-step NumPy transcription of the reference
recurrence on the same weights, to 1e-5. The checks run on TensorFlow here and on JAX in a
subprocess (``test_references_on_jax``). The causal convolutions use this zoo's layout
(``w[K-1]`` weighs the current step), which the transcriptions copy.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from zoo.gated import LRU, RGLRU
from zoo.linear_rnn import MinRNN
from zoo.xlstm import MLSTM, MLSTM_FORMS, SLSTM, chunkwise_mlstm, parallel_mlstm

TOL = {"atol": 1e-5, "rtol": 1e-5}


def _randomised(layer: keras.layers.Layer, width: int, scale: float = 0.3,
                seed: int = 0) -> keras.layers.Layer:
    layer.build((None, None, width))
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        weight.assign(rng.normal(scale=scale, size=weight.shape).astype("float32"))
    return layer


def _inputs(width: int, steps: int = 13, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(2, steps, width)).astype("float32")


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    width = w.shape[0]
    padded = np.pad(x, ((0, 0), (width - 1, 0), (0, 0)))
    return sum(padded[:, k:k + x.shape[1]] * w[k] for k in range(width)) + b


def _headwise(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    heads, size = kernel.shape[:2]
    y = np.einsum("...hi,hij->...hj", x.reshape(*x.shape[:-1], heads, size), kernel)
    if bias is not None:
        y = y + bias
    return y.reshape(x.shape)


def _head_norm(x: np.ndarray, heads: int, scale: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    split = x.reshape(*x.shape[:-1], heads, x.shape[-1] // heads)
    mean = split.mean(-1, keepdims=True)
    var = ((split - mean) ** 2).mean(-1, keepdims=True)
    return ((split - mean) / np.sqrt(var + eps)).reshape(x.shape) * scale


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def _silu(x: np.ndarray) -> np.ndarray:
    return x * _sigmoid(x)


def _gelu(x: np.ndarray) -> np.ndarray:  # the tanh form: Keras's and JAX's default
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _w(variable: object) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(variable), dtype="float64")


def check_slstm() -> None:
    """sLSTM: NX-AI/xlstm ``xlstm/blocks/slstm/src/vanilla/slstm.py``,
    ``slstm_forward_pointwise``, stepped as ``slstm_forward`` does, inside ``sLSTMLayer.forward``
    (``xlstm/blocks/slstm/layer.py``: conv + SiLU for i and f, headwise gate maps, group norm)."""
    heads, width = 2, 8
    layer = _randomised(SLSTM(heads=heads), width)
    x = _inputs(width).astype("float64")
    conv = _silu(_conv(x, _w(layer.conv.w), _w(layer.conv.b)))
    wx = [_headwise(src, _w(g[0])) for src, g in zip((conv, conv, x, x), layer.gates,
                                                     strict=True)]
    recurrent, bias = _w(layer.recurrent), _w(layer.bias)
    size = width // heads
    y = c = n = m = np.zeros((2, width))
    outputs = []
    for t in range(x.shape[1]):
        ry = np.einsum("bhi,hij->bhj", y.reshape(2, heads, size), recurrent)
        iraw, fraw, zraw, oraw = (wx[g][:, t] + ry[..., g * size:(g + 1) * size].reshape(2, width)
                                  + bias[g] for g in range(4))
        logfplusm = m + _log_sigmoid(fraw)
        mnew = iraw if np.all(n == 0.0) else np.maximum(iraw, logfplusm)
        ogate, igate, fgate = _sigmoid(oraw), np.exp(iraw - mnew), np.exp(logfplusm - mnew)
        c = fgate * c + igate * np.tanh(zraw)
        n = fgate * n + igate
        y, m = ogate * c / n, mnew
        outputs.append(y)
    expected = _head_norm(np.stack(outputs, 1), heads, _w(layer.out_scale))
    np.testing.assert_allclose(np.asarray(layer(x.astype("float32"))), expected, **TOL)


def _mlstm_step(c_state: np.ndarray, n_state: np.ndarray, m_state: np.ndarray, q: np.ndarray,
                k: np.ndarray, v: np.ndarray, i_pre: np.ndarray, f_pre: np.ndarray,
                eps: float = 1e-6) -> tuple[np.ndarray, ...]:
    """NX-AI/xlstm ``xlstm/blocks/mlstm/backends.py``, ``recurrent_step_stabilized_simple``:
    states ``(B, H, d, d)``, ``(B, H, d, 1)``, ``(B, H, 1, 1)``; q, k, v ``(B, H, d, 1)``."""
    log_fg_act = _log_sigmoid(f_pre)
    m_state_new = np.maximum(log_fg_act + m_state, i_pre)
    fg_act = np.exp(log_fg_act + m_state - m_state_new)
    ig_act = np.exp(i_pre - m_state_new)
    k_scaled = k / math.sqrt(q.shape[2])
    c_state_new = fg_act * c_state + ig_act * (k_scaled @ np.swapaxes(v, -1, -2))
    n_state_new = fg_act * n_state + ig_act * k_scaled
    h_num = np.swapaxes(q, -1, -2) @ c_state_new
    qn_dotproduct = np.swapaxes(q, -1, -2) @ n_state_new
    h_denom = np.maximum(np.abs(qn_dotproduct), np.exp(-m_state_new)) + eps
    return h_num / h_denom, c_state_new, n_state_new, m_state_new


def _mlstm_sequential(q: np.ndarray, k: np.ndarray, v: np.ndarray, i_pre: np.ndarray,
                      f_pre: np.ndarray) -> np.ndarray:
    """``(B, H, T, d)`` and ``(B, H, T)`` -> ``h~`` ``(B, H, T, d)``, one step at a time."""
    batch, heads, steps, size = q.shape
    c_state = np.zeros((batch, heads, size, size))
    n_state = np.zeros((batch, heads, size, 1))
    m_state = np.zeros((batch, heads, 1, 1))
    outputs = []
    for t in range(steps):
        h, c_state, n_state, m_state = _mlstm_step(
            c_state, n_state, m_state, q[:, :, t, :, None], k[:, :, t, :, None],
            v[:, :, t, :, None], i_pre[:, :, t, None, None], f_pre[:, :, t, None, None])
        outputs.append(h[:, :, 0])
    return np.stack(outputs, 2)


def check_mlstm_cell() -> None:
    """The stabilised parallel and chunkwise mLSTM equal NX-AI/xlstm's
    ``recurrent_step_stabilized_simple`` (``xlstm/blocks/mlstm/backends.py``) stepped over the
    sequence."""
    rng = np.random.default_rng(2)
    q, k, v = (rng.normal(size=(2, 3, 17, 4)) for _ in range(3))
    i_pre, f_pre = rng.normal(size=(2, 3, 17)), rng.normal(size=(2, 3, 17)) + 2.0
    inputs = [p.astype("float32") for p in (q, k, v, i_pre, f_pre)]
    expected = _mlstm_sequential(q, k, v, i_pre, f_pre)
    np.testing.assert_allclose(np.asarray(parallel_mlstm(*inputs)), expected, **TOL)
    for chunk in (1, 5, 16, 17, 64):  # the chunkwise form, chunks that divide T or not
        np.testing.assert_allclose(np.asarray(chunkwise_mlstm(*inputs, chunk=chunk)), expected,
                                   **TOL)


def check_mlstm_layer() -> None:
    """mLSTM layer: NX-AI/xlstm ``xlstm/blocks/mlstm/layer.py``, ``mLSTMLayer.forward`` and
    ``mLSTMCell.forward`` (``cell.py``), with the cell as ``recurrent_step_stabilized_simple``,
    in each of the layer's forms."""
    for scan in MLSTM_FORMS:
        _check_mlstm_layer(scan)


def _check_mlstm_layer(scan: str) -> None:
    heads, width = 2, 8
    layer = _randomised(MLSTM(heads=heads, expand=2, scan=scan), width)
    x = _inputs(width).astype("float64")
    inner = 2 * width
    x_inner = x @ _w(layer.up.kernel)
    x_mlstm, z = x_inner[..., :inner], x_inner[..., inner:]
    conv = _silu(_conv(x_mlstm, _w(layer.conv.w), _w(layer.conv.b)))
    q, k = _headwise(conv, _w(layer.q_proj[0])), _headwise(conv, _w(layer.k_proj[0]))
    v = _headwise(x_mlstm, _w(layer.v_proj[0]))
    gates = np.concatenate([q, k, v], -1)
    i_pre = gates @ _w(layer.igate.kernel) + _w(layer.igate.bias)
    f_pre = gates @ _w(layer.fgate.kernel) + _w(layer.fgate.bias)

    def split(p: np.ndarray) -> np.ndarray:
        return p.reshape(2, -1, heads, inner // heads).transpose(0, 2, 1, 3)

    h = _mlstm_sequential(split(q), split(k), split(v), i_pre.transpose(0, 2, 1),
                          f_pre.transpose(0, 2, 1))
    h = _head_norm(h.transpose(0, 2, 1, 3).reshape(2, -1, inner), heads, _w(layer.out_scale))
    expected = ((h + _w(layer.skip) * conv) * _silu(z)) @ _w(layer.down.kernel)
    np.testing.assert_allclose(np.asarray(layer(x.astype("float32"))), expected, **TOL)


def check_rglru() -> None:
    """Hawk's recurrent block: google-deepmind/recurrentgemma ``recurrentgemma/jax/layers.py``,
    ``RGLRU.__call__`` with ``lru_linear_scan`` (no document resets), inside
    ``recurrentgemma/jax/modules.py``'s ``RecurrentBlock.__call__``."""
    heads, width = 2, 8
    layer = _randomised(RGLRU(heads=heads), width)
    x = _inputs(width).astype("float64")
    y_branch = _gelu(x @ _w(layer.linear_y.kernel) + _w(layer.linear_y.bias))
    u = _conv(x @ _w(layer.linear_x.kernel) + _w(layer.linear_x.bias), _w(layer.conv.w),
              _w(layer.conv.b))
    gate_x = _sigmoid(_headwise(u, *(_w(p) for p in layer.input_gate)))
    gate_a = _sigmoid(_headwise(u, *(_w(p) for p in layer.a_gate)))
    log_a = -8.0 * gate_a * _softplus(_w(layer.a_param))
    a, a_squared = np.exp(log_a), np.exp(2 * log_a)
    normalized_x = u * gate_x * np.sqrt(1 - a_squared)
    h, hs = np.zeros((2, u.shape[-1])), []
    for t in range(u.shape[1]):  # lru_linear_scan's body_fn
        h = a[:, t] * h + normalized_x[:, t]
        hs.append(h)
    expected = (np.stack(hs, 1) * y_branch) @ _w(layer.linear_out.kernel) + _w(
        layer.linear_out.bias)
    np.testing.assert_allclose(np.asarray(layer(x.astype("float32"))), expected, **TOL)


def check_lru() -> None:
    """LRU: Orvieto et al. 2023 (arXiv 2303.06349), Appendix A, the ``LRU`` forward pass
    (``Lambda = exp(-exp(nu_log) + 1j exp(theta_log))``, ``h = Lambda h + gamma B u``,
    ``y = Re(C h) + D u``), then this zoo's GELU + GLU readout."""
    width = 6
    layer = _randomised(LRU(d_state=5), width)
    u = _inputs(width).astype("float64")
    lam = np.exp(-np.exp(_w(layer.nu_log)) + 1j * np.exp(_w(layer.theta_log)))
    b, c = _w(layer.b), _w(layer.c)
    b_norm = (b[0] + 1j * b[1]) * np.exp(_w(layer.gamma_log))  # (D, N): u @ B^T, gamma
    h, ys = np.zeros((2, lam.shape[0]), dtype=complex), []
    for t in range(u.shape[1]):
        h = lam * h + u[:, t] @ b_norm
        ys.append((h @ (c[0] + 1j * c[1])).real + _w(layer.skip) * u[:, t])
    glu = _gelu(np.stack(ys, 1)) @ _w(layer.out.kernel) + _w(layer.out.bias)
    expected = glu[..., :width] * _sigmoid(glu[..., width:])
    np.testing.assert_allclose(np.asarray(layer(u.astype("float32"))), expected, **TOL)


def _check_min_rnn(cell: str) -> None:
    width = 5
    layer = _randomised(MinRNN(cell=cell, scan="sequential"), width)
    x = _inputs(width).astype("float64")
    proj = x @ _w(layer.proj.kernel) + _w(layer.proj.bias)
    h, hs = np.zeros((2, width)), []
    for t in range(x.shape[1]):
        if cell == "mingru":  # z_t = sigma(Linear_dh(x_t)); h~_t = Linear_dh(x_t)
            z, h_tilde = _sigmoid(proj[:, t, :width]), proj[:, t, width:]
            h = (1 - z) * h + z * h_tilde
        else:  # f, i = sigma(.), f' = f / (f + i), i' = i / (f + i), h~ = Linear_dh(x_t)
            f, i = _sigmoid(proj[:, t, :width]), _sigmoid(proj[:, t, width:2 * width])
            h = f / (f + i) * h + i / (f + i) * proj[:, t, 2 * width:]
        hs.append(h)
    np.testing.assert_allclose(np.asarray(layer(x.astype("float32"))), np.stack(hs, 1), **TOL)


def check_mingru() -> None:
    """minGRU: Feng et al. 2024 (arXiv 2410.01201), Appendix A, the sequential mode of minGRU
    (``z_t = sigma(Linear(x_t))``, ``h~_t = Linear(x_t)``, ``h_t = (1 - z_t) h_{t-1} + z_t
    h~_t``, from ``h_0 = 0``)."""
    _check_min_rnn("mingru")


def check_minlstm() -> None:
    """minLSTM: Feng et al. 2024, Appendix A, the sequential mode of minLSTM with its
    length-independent scaling of the gates (``f' = f / (f + i)``, ``i' = i / (f + i)``,
    ``h_t = f' h_{t-1} + i' h~_t``)."""
    _check_min_rnn("minlstm")


CHECKS = [check_slstm, check_mlstm_cell, check_mlstm_layer, check_rglru, check_lru,
          check_mingru, check_minlstm]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_reference(check) -> None:
    check()


def test_references_on_jax() -> None:
    pytest.importorskip("jax")
    here = os.path.dirname(os.path.abspath(__file__))
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import test_references as t\n"
              "for check in t.CHECKS: check()\nprint('OK')")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", script, here], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stderr[-3000:]
