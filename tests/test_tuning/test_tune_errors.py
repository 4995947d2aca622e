"""``seqzoo tune``: each bad input is a one-line error before any trial runs."""

from __future__ import annotations

import pytest
from shapes import TINY_BUDGET

import zoo
from benchmarks.cli import main
from results.schema import KEYED as TABLES
from results.store import Store
from tuning.search import TuneSettings, tune
from zoo.models.recurrent import _create_recurrent


@pytest.fixture
def register():
    """Register throwaway models for one test, then remove them from the registry."""
    names = []

    def add(search_space=None):
        def throwaway(task, units: int = 16, dropout: float = 0.0, embed_dim: int = 8):
            """A small LSTM registered by a test."""
            return _create_recurrent(task, "throwaway", cell="lstm", units=units,
                                     dropout=dropout, embed_dim=embed_dim)

        zoo.register_model(family="test", search_space=search_space)(throwaway)
        names.append("throwaway")
        return "throwaway"

    yield add
    for name in names:
        zoo.registry._BUILDERS.pop(name)
        zoo.registry._INFO.pop(name)


def _fails(argv, tmp_path, capsys) -> str:
    store = tmp_path / "s.sqlite"
    code = main(["tune", "--dataset", "mr_polarity", "--store", str(store),
                 "--dir", str(tmp_path / "dir"), *argv])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("seqzoo: error:") and "\n" not in err, err
    if store.exists():  # nothing was written
        assert all(Store(store).rows(t).empty for t in TABLES if t != "datasets")
        assert Store(store).runs().empty
    return err


@pytest.mark.parametrize(("argv", "message"), [
    (["--models", "lstm", "--tuner", "grid"],
     "unknown tuner 'grid'; choose one of random, hyperband, bayesian"),
    (["--models", "lstm", "--trials", "0"], "trials must be an integer >= 1, got 0"),
    (["--models", "lstm", "--executions", "0"], "executions must be an integer >= 1, got 0"),
    (["--models", "lstm", "--tuner", "hyperband", "--trials", "3"], "drop --trials"),
    (["--models", "lstm", "--max-epochs", "3"], "--max-epochs is for hyperband"),
    (["--models", "lstn"], "unknown model 'lstn'"),
    (["--models", "lstm", "--dataset", "imbd"], "unknown dataset 'imbd'"),
    (["--models", "lstm", "--resume"], "holds no seqzoo search"),
    (["--models", "lstm", "--role", "chief"], "--role chief needs KERASTUNER_ORACLE_IP"),
    (["--models", "lstm", "--role", "boss"], "unknown role 'boss'"),
])
def test_bad_settings(argv, message, tmp_path, capsys, monkeypatch) -> None:
    for name in ("KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID"):
        monkeypatch.delenv(name, raising=False)
    assert message in _fails(argv, tmp_path, capsys)


def test_model_without_search_space(register, tmp_path, capsys) -> None:
    model = register()
    err = _fails(["--models", f"lstm,{model}"], tmp_path, capsys)
    assert f"model '{model}' declares no search space; models with one: " in err


def test_search_space_value_the_model_rejects(register, tmp_path, capsys) -> None:
    model = register(lambda hp: {"units": hp.Choice("units", [8, 0])})
    err = _fails(["--models", model], tmp_path, capsys)
    assert f"search space of '{model}': units=0 is rejected by the model" in err


def test_search_space_naming_what_the_model_does_not_take(register, tmp_path, capsys) -> None:
    model = register(lambda hp: {"width": hp.Choice("width", [8, 16])})
    err = _fails(["--models", model], tmp_path, capsys)
    assert "names 'width', which the model does not take; it takes: units, dropout" in err


def test_a_search_held_or_stored_is_not_started_again(search, tmp_path, capsys) -> None:
    store, search_id = search(["lstm"])  # a real search in tmp_path/dir: lstm on mr_polarity
    # --resume of that directory with other settings
    (tmp_path / "fresh").mkdir()
    err = _fails(["--models", "gru", "--resume", "--dir", str(tmp_path / "dir")],
                 tmp_path / "fresh", capsys)
    assert "holds search mr_polarity-random-" in err and "with other models" in err
    # the same search again, into its store or its directory
    settings = TuneSettings(("lstm",), "mr_polarity", trials=1, budget=TINY_BUDGET)
    assert settings.search_id == search_id
    with pytest.raises(ValueError, match=f"already holds search {search_id}; pass --resume"):
        tune(settings, store, tmp_path / "another-dir")
    with pytest.raises(ValueError, match="already holds this search; pass --resume"):
        tune(settings, Store(tmp_path / "another.sqlite"), tmp_path / "dir")
