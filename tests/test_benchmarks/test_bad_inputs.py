"""The bad inputs that used to get through: each is one line and exit status 2 with nothing
stored, or (a broken installed plugin) a one-line warning while the command goes on."""

from __future__ import annotations

import json

import pytest
from clean import ok, one_line_error, seqzoo, user_env

from benchmarks.cli import main
from benchmarks.data import DataError, dataset_class, get_dataset, list_datasets
from benchmarks.data.base import Limit

EVERY_DATASET = list_datasets() + list_datasets(file_kinds=True)


def test_a_plugin_file_that_raises_is_one_line(tmp_path) -> None:
    boom = tmp_path / "boom.py"
    boom.write_text("raise RuntimeError('the plugin is broken')\n")
    store = tmp_path / "s.sqlite"
    line = one_line_error(seqzoo("run", "--suite", "smoke", "--plugin", str(boom), "--store",
                                 str(store)))
    assert f"plugin file {boom}" in line and "RuntimeError: the plugin is broken" in line
    assert not store.exists()


def test_a_bad_worker_start_stops_the_run_before_it_claims_a_cell(tmp_path) -> None:
    store = tmp_path / "s.sqlite"
    line = one_line_error(seqzoo("run", "--suite", "smoke", "--models", "rnn", "--store",
                                 str(store), env=user_env(SEQZOO_WORKER_START="bogus")))
    assert line == ("seqzoo: error: SEQZOO_WORKER_START='bogus' is not allowed; use fork or "
                    "spawn")
    assert not store.exists()


def test_a_broken_entry_point_warns_and_the_command_goes_on(tmp_path) -> None:
    site = tmp_path / "site"
    dist = site / "seqzoo_boom-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: seqzoo-boom\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[seqzoo.models]\nboom = boom_models\n")
    (site / "boom_models.py").write_text("raise ZeroDivisionError('division by zero')\n")
    proc = seqzoo("data", "list", "--names", env=user_env(PYTHONPATH=str(site)))
    assert "mr_polarity" in ok(proc).split()
    warnings = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and warnings[0].startswith("seqzoo: warning: entry point boom")
    assert "package seqzoo-boom" in warnings[0] and "ZeroDivisionError" in warnings[0]


@pytest.mark.parametrize(("spec", "message"), [
    ("adding:n_train=0", "n_train=0 is not allowed; use an integer >= 1"),
    ("delayed_recall:symbols=1", "symbols=1 is not allowed; use an integer >= 2"),
    ("appliances_energy:horizon=0", "horizon=0 is not allowed; use an integer >= 1"),
    ("adding:lag=1.5", "dataset parameter lag='1.5' in 'adding:lag=1.5' is not a int"),
])
def test_dataset_parameters_are_checked_when_the_grid_is_planned(spec, message, tmp_path,
                                                                 capsys) -> None:
    store = tmp_path / "s.sqlite"
    assert main(["run", "--models", "rnn", "--datasets", spec, "--store", str(store)]) == 2
    assert message in capsys.readouterr().err
    assert not store.exists()


def test_a_bad_dataset_parameter_stops_the_command_before_it_runs(tmp_path) -> None:
    store = tmp_path / "s.sqlite"
    line = one_line_error(seqzoo("run", "--models", "rnn", "--datasets", "adding:lag=-3",
                                 "--store", str(store)))
    assert line == ("seqzoo: error: dataset 'adding': lag=-3 is not allowed; use an integer "
                    ">= 2")
    assert not store.exists()


@pytest.mark.parametrize("name", EVERY_DATASET)
def test_every_numeric_parameter_has_a_declared_range(name) -> None:
    cls = dataset_class(name)
    numeric = {k for k, v in cls.defaults.items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
    assert numeric <= set(cls.limits), f"{name}: no limit for {numeric - set(cls.limits)}"
    described = cls.describe()["parameters"]
    assert set(described) == set(cls.defaults)
    for key, limit in cls.limits.items():
        assert described[key]["allowed"] == limit.describe(type(cls.defaults[key]))
        assert limit.allows(cls.defaults[key]), (name, key)
        with pytest.raises(ValueError, match=f"{key}=.* is not allowed; use "):
            dataset_class(name)(**{key: _outside(limit, cls.defaults[key])})


def _outside(limit: Limit, default: object) -> object:
    """A value of the default's type that ``limit`` refuses."""
    if limit.choices:
        return "none of these"
    if limit.low is not None:
        return type(default)(limit.low - 1)
    return type(default)(limit.high + 1)


def test_data_info_lists_parameters_and_file_kinds_stand_apart() -> None:
    info = json.loads(ok(seqzoo("data", "info", "audio_dir")))
    assert info["file_kind"] is True and info["parameters"]["mel_bins"] == {
        "type": "int", "default": 40, "allowed": "an integer >= 1"}
    listed = ok(seqzoo("data", "list"))
    assert "file kinds" in listed and "audio_dir" in listed.split("file kinds")[1]
    names = ok(seqzoo("data", "list", "--offline", "--names")).split()
    assert names == list_datasets(offline=True)
    assert not {"text_csv", "text_dir", "audio_dir", "series_csv"} & set(names)


def test_a_dataset_id_keeps_the_parameters_given() -> None:
    assert get_dataset("adding:lag=100").id == "adding:lag=100"
    assert get_dataset("adding:n_train=64,lag=100").id == "adding:lag=100,n_train=64"


@pytest.mark.parametrize("value", ["inf", "-inf"])
def test_infinite_values_in_a_series_are_refused(value, tmp_path) -> None:
    path = tmp_path / "series.csv"
    rows = [f"2024-01-01 {h:02d}:00,{h}.5,{1.0 if h != 7 else value}" for h in range(24)]
    path.write_text("time,target,wind\n" + "\n".join(rows) + "\n")
    data = get_dataset("series_csv", path=str(path), features="wind", lookback=4, horizon=2,
                       season=2)
    with pytest.raises(DataError, match=r"feature column 'wind' holds 1 \(rows 7\) infinite "
                                        r"values \(inf or -inf\)"):
        data.arrays()

