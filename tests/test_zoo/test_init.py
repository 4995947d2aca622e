"""Initialisation as the reference code does it: Mamba (state-spaces ``mamba_simple.py``), S4D
(state-spaces ``models/s4/s4d.py``; minGRU and minLSTM: Feng et al. 2024's appendix prescribes
no initialisation beyond its framework's default for ``nn.Linear``, so theirs is Keras's),
the RG-LRU's ring (recurrentgemma ``rnn_param_init``), the LRU's ring and gamma (Orvieto et al.
2023, Appendix A) and the xLSTM gates (NX-AI/xlstm ``mlstm/cell.py``, ``slstm/cell.py``)."""

from __future__ import annotations

import math

import keras
import numpy as np

from zoo.gated import LRU, RGLRU
from zoo.linear_rnn import S4D, Mamba
from zoo.xlstm import MLSTM, SLSTM


def _built(layer: keras.layers.Layer, width: int = 32) -> keras.layers.Layer:
    keras.utils.set_random_seed(0)
    layer.build((None, None, width))
    return layer


def _np(variable: object) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(variable))


def test_mamba_initialised_as_mamba_simple() -> None:
    mixer = _built(Mamba(d_state=16, expand=2, dt_min=1e-3, dt_max=1e-1), width=64)
    rank = math.ceil(64 / 16)
    # dt_proj.weight uniform in +-dt_rank^-0.5 * dt_scale (dt_init="random", dt_scale=1)
    weight = _np(mixer.dt_proj.kernel)
    assert np.abs(weight).max() <= rank ** -0.5 and weight.std() > 0.5 * rank ** -0.5 / 3 ** 0.5
    # dt_proj.bias: the inverse softplus of dt, log-uniform in [dt_min, dt_max]
    dt = np.log1p(np.exp(_np(mixer.dt_proj.bias)))
    assert dt.min() >= 1e-3 * 0.999 and dt.max() <= 1e-1 * 1.001
    assert np.log(dt).std() > 0.5 * (math.log(1e-1) - math.log(1e-3)) / 12 ** 0.5
    # conv1d: PyTorch's default, uniform in +-1/sqrt(fan_in) with fan_in = d_conv (depthwise)
    bound = 1 / math.sqrt(mixer.d_conv)
    for part in (mixer.conv.w, mixer.conv.b):
        values = _np(part)
        assert np.abs(values).max() <= bound and values.std() > 0.4 * bound
    # A_log = log(1..N) for every channel (S4D-Real); D = 1
    np.testing.assert_allclose(_np(mixer.a_log), np.log(np.tile(np.arange(1, 17), (128, 1))),
                               rtol=1e-6)
    np.testing.assert_array_equal(_np(mixer.skip), np.ones(128))


def test_rglru_ring_puts_a_in_0_9_to_0_999() -> None:
    mixer = _built(RGLRU(heads=4))
    a = np.exp(-np.log1p(np.exp(_np(mixer.a_param))))  # a = exp(-softplus(Lambda)), gate = 1/c
    assert a.min() >= 0.9 - 1e-6 and a.max() <= 0.999 + 1e-6
    assert a.std() > 0.01  # spread over the ring, not one value


def test_lru_ring_phase_and_gamma() -> None:
    mixer = _built(LRU(d_state=256, r_min=0.4, r_max=0.9, max_phase=1.0))
    radius = np.exp(-np.exp(_np(mixer.nu_log)))
    phase = np.exp(_np(mixer.theta_log))
    assert radius.min() >= 0.4 - 1e-5 and radius.max() <= 0.9 + 1e-5
    assert phase.min() >= 0 and phase.max() <= 1.0 + 1e-6
    np.testing.assert_allclose(np.exp(_np(mixer.gamma_log)), np.sqrt(1 - radius ** 2), rtol=1e-4)


def test_xlstm_gates_start_as_the_reference() -> None:
    mlstm = _built(MLSTM(heads=4))
    np.testing.assert_array_equal(_np(mlstm.fgate.kernel), 0)
    np.testing.assert_allclose(_np(mlstm.fgate.bias), np.linspace(3.0, 6.0, 4), rtol=1e-6)
    np.testing.assert_array_equal(_np(mlstm.igate.kernel), 0)
    assert 0.02 < _np(mlstm.igate.bias).std() < 0.5  # normal(0, 0.1)
    slstm = _built(SLSTM(heads=4))
    np.testing.assert_array_equal(_np(slstm.recurrent), 0)  # recurrent_weight_init="zeros"
    bias = _np(slstm.bias)
    ramp = np.arange(8) / 7
    np.testing.assert_allclose(bias[1], np.tile(-(-5.0 + 12.0 * ramp ** 0.3), 4), rtol=1e-6)
    np.testing.assert_array_equal(bias[[0, 2, 3]], 0)


def test_s4d_initialised_as_s4d_py() -> None:
    width, n = 64, 32
    layer = _built(S4D(d_state=n, init="lin", dt_min=1e-3, dt_max=1e-1), width=width)
    # log_dt uniform in [log dt_min, log dt_max]
    log_dt = _np(layer.log_dt)
    assert log_dt.min() >= math.log(1e-3) - 1e-6 and log_dt.max() <= math.log(1e-1) + 1e-6
    assert log_dt.std() > 0.5 * (math.log(1e-1) - math.log(1e-3)) / 12 ** 0.5
    # log_A_real = log(0.5); A_imag = pi n (S4D-Lin); B absorbed as 1
    np.testing.assert_allclose(_np(layer.a_re_log), np.full((width, n // 2), math.log(0.5)),
                               rtol=1e-6)
    np.testing.assert_allclose(_np(layer.a_im), np.tile(math.pi * np.arange(n // 2),
                                                         (width, 1)), rtol=1e-6)
    np.testing.assert_array_equal(_np(layer.b)[0], 1.0)
    np.testing.assert_array_equal(_np(layer.b)[1], 0.0)
    # C ~ torch.randn(cfloat): real and imaginary parts each N(0, 1/2); D ~ N(0, 1)
    c = _np(layer.c)
    assert abs(c.std() - 0.5 ** 0.5) < 0.05 and abs(c.mean()) < 0.05
    d = _np(layer.skip)
    assert 0.7 < d.std() < 1.3 and len(np.unique(d)) == width
    # S4D-Inv: A_imag = N/pi (N / (2n + 1) - 1)
    inverse = _built(S4D(d_state=n, init="inv"), width=width)
    k = np.arange(n // 2)
    np.testing.assert_allclose(_np(inverse.a_im)[0], n / math.pi * (n / (2 * k + 1) - 1),
                               rtol=1e-5)
