"""Canonical loaders on in-test archives in the original formats; nothing touches the network."""

from __future__ import annotations

import tarfile

import numpy as np
import pytest
from archives import (
    BUILDERS,
    IMDB_PER_CLASS,
    JENA_DAYS,
    SC_TEST,
    SC_VAL,
    SC_WORDS,
    imdb_archive,
    jena_archive,
    speech_commands_archive,
)

from benchmarks.data import SPLITS, DataError, get_dataset, list_datasets, open_dataset

CANONICAL = list_datasets(offline=False)
SMALL = {"jena_climate": {"lookback": 24, "horizon": 6}}


def test_every_canonical_dataset_has_an_archive_builder() -> None:
    assert set(CANONICAL) == set(BUILDERS) == {"imdb", "speech_commands", "jena_climate"}


@pytest.mark.parametrize("name", CANONICAL)
def test_parses_original_archive(name: str, tmp_path, fresh_data_home) -> None:
    BUILDERS[name](tmp_path)
    data = get_dataset(name, data_dir=str(tmp_path), **SMALL.get(name, {}))
    task = data.task_spec()
    for split in SPLITS:
        x, y = data.load(split)
        assert len(x) == len(y) > 0 and x.shape[1] == task.seq_len
        assert np.isfinite(x).all() if x.dtype.kind == "f" else x.max() < task.vocab_size
    info = data.info()
    assert info["offline"] is False and len(info["fingerprint"]) == 64
    assert info["read_from"].startswith(str(tmp_path))


def test_open_dataset_passes_data_dir_only_to_canonical_loaders(tmp_path) -> None:
    assert open_dataset("imdb", str(tmp_path)).params["data_dir"] == str(tmp_path)
    assert "data_dir" not in open_dataset("mr_polarity", str(tmp_path)).params


def test_imdb_official_split_and_labels(tmp_path, fresh_data_home) -> None:
    imdb_archive(tmp_path)
    data = get_dataset("imdb", data_dir=str(tmp_path))
    sizes = data.info()["sizes"]
    assert sizes["test"] == 2 * IMDB_PER_CLASS["test"]
    assert sizes["train"] + sizes["val"] == 2 * IMDB_PER_CLASS["train"]
    texts, labels = data.extra("text", "test"), data.load("test")[1]
    assert all(("wonderful" in t) == bool(y) for t, y in zip(texts, labels, strict=True))
    assert not any("unlabelled" in t for s in SPLITS for t in data.extra("text", s))


def test_imdb_archive_and_extracted_folder_agree(tmp_path, fresh_data_home) -> None:
    archive = imdb_archive(tmp_path)
    folder = tmp_path / "extracted"
    folder.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    from_tar = get_dataset("imdb", data_dir=str(tmp_path)).arrays()
    from_folder = get_dataset("imdb", data_dir=str(folder)).arrays()
    for key in from_tar:
        assert from_tar[key].tobytes() == from_folder[key].tobytes(), key


def test_speech_commands_follows_the_official_lists(tmp_path, fresh_data_home) -> None:
    speech_commands_archive(tmp_path)
    data = get_dataset("speech_commands", data_dir=str(tmp_path), silence_fraction=0.5)
    counts = {s: np.bincount(data.load(s)[1], minlength=12) for s in SPLITS}
    # test: yes, no and cat (-> unknown) from testing_list, plus silence at half that size
    assert counts["test"][[0, 1, 10]].tolist() == [1, 1, 1] and counts["test"][11] == 2
    assert counts["val"][[0, 1]].tolist() == [1, 1] and counts["val"][11] == 1
    train = sum(SC_WORDS.values()) - len(SC_TEST) - len(SC_VAL)
    assert counts["train"][:11].sum() == train and counts["train"][11] == round(train * 0.5)
    assert data.task_spec().num_outputs == 12 and data.task_spec().seq_len == 101


def test_jena_hourly_and_bad_wind_readings(tmp_path, fresh_data_home) -> None:
    jena_archive(tmp_path)
    data = get_dataset("jena_climate", data_dir=str(tmp_path), lookback=24, horizon=6)
    info = data.info()
    # 10-minute rows averaged to hours; the last row (midnight) opens one more hour
    assert info["series_steps"] == JENA_DAYS * 24 + 1
    assert "1 wind-speed readings of -9999 set to 0" in info["preprocessing"]
    assert info["target"] == "T (degC)" and data.task_spec().num_features == 14


def test_missing_archive_names_what_was_looked_for(tmp_path, fresh_data_home) -> None:
    with pytest.raises(DataError, match="none of aclImdb_v1.tar.gz, aclImdb found in"):
        get_dataset("imdb", data_dir=str(tmp_path)).arrays()
    with pytest.raises(DataError, match="is not a folder"):
        get_dataset("imdb", data_dir=str(tmp_path / "nowhere")).arrays()


def test_archive_member_escaping_is_refused(tmp_path, fresh_data_home) -> None:
    imdb_archive(tmp_path, members={"../../evil.txt": b"x"})
    with pytest.raises(DataError, match="would escape the archive"):
        get_dataset("imdb", data_dir=str(tmp_path)).arrays()


def test_speech_commands_without_lists_is_not_the_archive(tmp_path, fresh_data_home) -> None:
    speech_commands_archive(tmp_path, lists=False)
    with pytest.raises(DataError, match="lacks validation_list.txt, testing_list.txt"):
        get_dataset("speech_commands", data_dir=str(tmp_path)).arrays()


def test_speech_commands_split_choices(tmp_path) -> None:
    with pytest.raises(ValueError, match="split='random' is not allowed; use one of official, "
                                         "tfds"):
        get_dataset("speech_commands", split="random")
    with pytest.raises(ValueError, match="use split='official' with data_dir"):
        get_dataset("speech_commands", split="tfds", data_dir=str(tmp_path)).arrays()


def test_jena_with_wrong_header(tmp_path, fresh_data_home) -> None:
    jena_archive(tmp_path, header='"Date Time","p (mbar)","Temp"' + ",x" * 12)
    with pytest.raises(DataError, match="is not the Jena climate CSV: no column 'T \\(degC\\)'"):
        get_dataset("jena_climate", data_dir=str(tmp_path), lookback=24, horizon=6).arrays()


def test_truncated_archive(tmp_path, fresh_data_home) -> None:
    path = imdb_archive(tmp_path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataError, match="not a readable folder, zip or tar archive"):
        get_dataset("imdb", data_dir=str(tmp_path)).arrays()
