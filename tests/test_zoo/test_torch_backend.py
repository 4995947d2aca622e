"""Every family on the PyTorch backend, in one subprocess: build, fit, ``.keras`` round trip."""

from __future__ import annotations

import pytest
from backends import assert_fits_and_round_trips, fit_on_backend

import zoo


def test_every_family_on_torch() -> None:
    pytest.importorskip("torch", reason="the torch-backend test needs PyTorch: pip install "
                                        "'torch==2.13.*' (a CPU build: see the README)")
    results = fit_on_backend("torch", zoo.list_models())
    assert {case.split("/")[0] for case in results} == set(zoo.list_models())
    assert_fits_and_round_trips(results)
