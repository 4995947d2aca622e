"""Every family on the JAX backend, one subprocess per family."""

from __future__ import annotations

import pytest
from backends import assert_fits_and_round_trips, fit_on_backend

import zoo

pytest.importorskip("jax")


@pytest.mark.parametrize("name", zoo.list_models())
def test_family_on_jax(name: str) -> None:
    results = fit_on_backend("jax", [name], JAX_PLATFORMS="cpu")
    assert len(results) == 3
    assert_fits_and_round_trips(results)
