"""Tuning fixtures: a tiny real budget, and a search runner into a temporary store."""

from __future__ import annotations

import pytest
from shapes import TINY_BUDGET

from results.store import Store
from tuning.search import TuneSettings, tune


@pytest.fixture
def search(tmp_path, prepared):
    """``search(models, **settings)``: run ``tune`` into ``tmp_path``; returns (store, id)."""
    prepared("mr_polarity")

    def run(models, rerun_seeds=(), **settings):
        settings = {"trials": 1, "budget": TINY_BUDGET, **settings}
        store = Store(tmp_path / "s.sqlite")
        search_id = tune(TuneSettings(tuple(models), "mr_polarity", **settings), store,
                         tmp_path / "dir", rerun_seeds=rerun_seeds)
        return store, search_id

    return run
