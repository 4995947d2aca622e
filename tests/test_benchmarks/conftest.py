"""Data fixtures: an empty data home that reuses fetched wheels."""

from __future__ import annotations

import pytest

from benchmarks.data.cache import data_root


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

