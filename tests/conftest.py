"""Quiet TensorFlow's C++ logging; the real offline datasets, prepared once per session.

Shared helpers live in ``shapes.py``.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402
from files import FILE_INPUTS  # noqa: E402

from benchmarks.data import get_dataset  # noqa: E402


@pytest.fixture(scope="session")
def dataset_params(tmp_path_factory):
    """``dataset_params(name)``: the parameters a dataset needs here: none for the built-in
    ones, the small inputs of ``files.py`` for those read from a user's files."""
    cache = {}

    def params(name: str) -> dict:
        if name not in cache:
            build = FILE_INPUTS.get(name)
            cache[name] = build(tmp_path_factory.mktemp(name)) if build else {}
        return cache[name]

    return params


@pytest.fixture(scope="session")
def prepared(dataset_params):
    """``prepared(name)``: a dataset instance whose arrays are loaded (cached per session)."""
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = get_dataset(name, **dataset_params(name))
            cache[name].arrays()
        return cache[name]

    return get


@pytest.fixture(scope="session")
def postgres_admin():
    """The admin URL of a PostgreSQL server for this test session: ``SEQZOO_TEST_POSTGRES_URL``,
    or a throwaway server (skipped, saying how to enable it, where PostgreSQL is missing)."""
    from postgres import SKIP_REASON, configured_url, find_binaries, throwaway_server

    configured = configured_url()
    if configured is not None:
        yield configured
        return
    binaries = find_binaries()
    if binaries is None:
        pytest.skip(SKIP_REASON)
    with throwaway_server(binaries) as url:
        yield url


@pytest.fixture
def postgres_url(postgres_admin):
    """A new empty database on the session's PostgreSQL server, as a URL string."""
    from postgres import new_database

    return new_database(postgres_admin).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request, tmp_path):
    """A new store location on each dialect: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "s.sqlite")
    return request.getfixturevalue("postgres_url")
