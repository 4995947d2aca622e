"""Datasets from a user's files: every registered file kind has test inputs, ``seqzoo data
add`` saves a named dataset, a changed file is noticed, and each bad input is one line
(exit 2) with nothing saved."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from files import FILE_INPUTS, review_rows, series_rows, write_wav

from benchmarks.cli import main
from benchmarks.data import dataset_class, get_dataset, list_datasets
from benchmarks.data.user import user_dir


def test_every_file_dataset_has_test_inputs() -> None:
    reads_files = {n for n in list_datasets(file_kinds=True) if "path" in dataset_class(n).defaults}
    assert reads_files == set(FILE_INPUTS)


def _add(name: str, kind: str, **params) -> int:
    return main(["data", "add", name, "--from", kind,
                 *[f"--param={k}={v}" for k, v in params.items()]])


def test_data_add_then_by_name_everywhere(tmp_path, fresh_data_home, capsys) -> None:
    params = FILE_INPUTS["series_csv"](tmp_path)
    assert _add("my_weather", "series_csv", **params) == 0
    assert "saved my_weather (series_csv)" in " ".join(capsys.readouterr().out.split())
    config = json.loads((user_dir() / "my_weather.json").read_text())
    assert config == {"from": "series_csv", "params": params}
    assert main(["data", "list", "--names"]) == 0
    assert "my_weather" in capsys.readouterr().out.split()
    data = get_dataset("my_weather")
    assert data.id == "my_weather" and data.task_spec().num_outputs == 6
    assert data.meta["target_index"] == 0 and data.meta["season"] == 24
    assert main(["run", "--models", "rnn", "--datasets", "my_weather", "--dry-run",
                 "--store", str(tmp_path / "s.sqlite")]) == 0
    assert "/ my_weather / seed 0" in capsys.readouterr().out


def test_a_changed_file_is_prepared_again(tmp_path, fresh_data_home) -> None:
    params = FILE_INPUTS["series_csv"](tmp_path)
    first = get_dataset("series_csv", **params)
    before = (first.fingerprint, first.cache_path(), first.load("test")[1].copy())
    series_rows(seed=1).to_csv(params["path"], index=False)
    again = get_dataset("series_csv", **params)
    assert again.fingerprint != before[0] and again.cache_path() != before[1]
    assert not np.array_equal(again.load("test")[1], before[2])


def _write(tmp_path, name: str, frame: pd.DataFrame) -> str:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


def _bad_inputs(tmp_path) -> list[tuple[str, dict, str]]:
    """(kind, params, expected message) for every bad input the issue lists."""
    series = series_rows()
    nan_target = series.copy()
    nan_target.loc[[10, 11, 40], "temp"] = np.nan
    text_target = series.assign(temp=series["temp"].astype(str))
    text_target.loc[7, "temp"] = "warm"
    reviews = review_rows()
    one_class = reviews.assign(stars="pos")
    empty_text = reviews.copy()
    empty_text.loc[3, "review"] = "  "
    unreadable = tmp_path / "sounds"
    for label in ("yes", "no"):
        write_wav(unreadable / label / "a.wav", np.zeros(800), 8000)
    (unreadable / "no" / "broken.wav").write_bytes(b"RIFF....not a wave")
    mixed = tmp_path / "mixed"
    write_wav(mixed / "yes" / "a.wav", np.zeros(800), 8000)
    write_wav(mixed / "no" / "a.wav", np.zeros(1600), 16000)
    series_path = _write(tmp_path, "series.csv", series)
    return [
        ("series_csv", {"path": str(tmp_path / "missing.csv")}, "missing.csv does not exist"),
        ("series_csv", {"path": series_path, "time": "when", "target": "Temp"},
         "has no column 'Temp'; its columns are when, temp, wind"),
        ("series_csv", {"path": _write(tmp_path, "t.csv", text_target), "time": "when",
                        "target": "temp"},
         "target column 'temp' is not numeric: 1 (rows 7) values such as 'warm'"),
        ("series_csv", {"path": _write(tmp_path, "n.csv", nan_target), "time": "when",
                        "target": "temp"},
         "3 (rows 10, 11, 40) missing values (NaN or absent steps) in target 'temp'; pass "
         "gaps=interpolate"),
        ("series_csv", {"path": series_path, "time": "when", "target": "temp",
                        "lookback": 300, "horizon": 24}, "the series has 600 steps, too short"),
        ("series_csv", {"path": series_path, "time": "when", "target": "temp",
                        "gaps": "guess"}, "gaps='guess' is not allowed; use one of error"),
        ("text_csv", {"path": _write(tmp_path, "one.csv", one_class), "text": "review",
                      "label": "stars"}, "every row has label 'pos'; a classification"),
        ("text_csv", {"path": _write(tmp_path, "empty.csv", empty_text), "text": "review",
                      "label": "stars"}, "1 (rows 3) texts are empty"),
        ("text_csv", {"path": _write(tmp_path, "r.csv", reviews), "text": "body"},
         "has no column 'body'; its columns are review, stars"),
        ("audio_dir", {"path": str(unreadable)}, "broken.wav is not a readable WAV file"),
        ("audio_dir", {"path": str(mixed)}, "mixes sample rates [8000, 16000] Hz; pass "
                                            "sample_rate=HZ"),
    ]


def test_bad_user_data_is_one_line_and_saves_nothing(tmp_path, fresh_data_home,
                                                     capsys) -> None:
    for kind, params, message in _bad_inputs(tmp_path):
        assert _add("mine", kind, **params) == 2, message
        err = capsys.readouterr().err.strip()
        assert err.startswith("seqzoo: error:") and message in err, (message, err)
        assert "\n" not in err
        assert not (user_dir() / "mine.json").exists()
    assert main(["data", "add", "mine", "--from", "series_csv", "--param", "lookahead=3"]) == 2
    assert "--param 'lookahead=3' is not allowed for series_csv" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["My Data", "mr_polarity"])
def test_bad_names(name, tmp_path, fresh_data_home, capsys) -> None:
    assert _add(name, "series_csv", **FILE_INPUTS["series_csv"](tmp_path)) == 2
    assert "seqzoo: error: dataset name" in capsys.readouterr().err
