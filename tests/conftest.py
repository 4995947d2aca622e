"""Quiet TensorFlow's C++ logging; the real offline datasets, prepared once per session.

Shared helpers live in ``shapes.py``.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from benchmarks.data import get_dataset  # noqa: E402


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
