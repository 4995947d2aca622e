"""Data fixtures: the real offline datasets, prepared once per session."""

from __future__ import annotations

import pytest

from benchmarks.data import get_dataset
from benchmarks.data.cache import data_root


@pytest.fixture(scope="session")
def prepared():
    """``prepared(name)``: a dataset instance whose arrays are loaded (cached per session)."""
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = get_dataset(name)
            cache[name].arrays()
        return cache[name]

    return get


@pytest.fixture
def fresh_data_home(tmp_path, monkeypatch):
    """An empty ``$SEQZOO_DATA`` that reuses the already-fetched wheels (no refetch)."""
    wheels = data_root() / "wheels"
    home = tmp_path / "data"
    (home / "wheels").mkdir(parents=True)
    if wheels.exists():
        for wheel in wheels.glob("*.whl"):
            (home / "wheels" / wheel.name).symlink_to(wheel)
    monkeypatch.setenv("SEQZOO_DATA", str(home))
    return home

