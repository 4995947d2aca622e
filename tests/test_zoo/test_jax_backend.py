"""Every family on the JAX backend, one subprocess per family (about 4.5 minutes on 2 cores in
all, so behind the ``slow`` marker; the default run checks the parallel scan and every new
layer on JAX in ``test_linear_rnn.py``)."""

from __future__ import annotations

import pytest
from backends import assert_fits_and_round_trips, fit_on_backend

import zoo

pytest.importorskip("jax")


@pytest.mark.slow
@pytest.mark.parametrize("name", zoo.list_models())
def test_family_on_jax(name: str) -> None:
    results = fit_on_backend("jax", [name], JAX_PLATFORMS="cpu")
    assert len(results) == 3
    assert_fits_and_round_trips(results)
