"""Dataset tests generated from the registry, and bad-input cases."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from benchmarks.data import (
    FAMILIES,
    SPLITS,
    DataError,
    dataset_class,
    get_dataset,
    list_datasets,
    wheels,
)
from benchmarks.data import cache as cache_mod
from benchmarks.data.forecasting import window_series
from benchmarks.data.wheels import PinnedWheel, fetch_wheel, read_member, safe_extract
from zoo.task import IGNORE

OFFLINE = list_datasets(offline=True) + list_datasets(offline=True, file_kinds=True)


def test_offline_datasets_cover_every_family() -> None:
    families = {dataset_class(n).family for n in OFFLINE}
    assert families == set(FAMILIES)
    assert {"mr_polarity", "tweets3", "japanese_vowels", "tts_commands", "appliances_energy",
            "household_power", "tmy3_weather"} <= set(OFFLINE)


@pytest.mark.parametrize("name", OFFLINE)
def test_task_spec_matches_arrays(name: str, prepared) -> None:
    data = prepared(name)
    task = data.task_spec()
    for split in SPLITS:
        x, y = data.load(split)
        assert len(x) == len(y) > 0
        assert x.shape[1] == task.seq_len
        if task.input == "tokens":
            assert x.dtype == np.int32 and x.ndim == 2
            assert 0 <= x.min() and x.max() < task.vocab_size
        else:
            assert x.dtype == np.float32 and x.shape[2] == task.num_features
            assert np.isfinite(x).all()
        if task.kind == "classification":
            assert y.ndim == 1 and 0 <= y.min() and y.max() < task.num_outputs
        elif task.per_position:  # labels per position, IGNORE where there is none
            labelled = y[y != IGNORE]
            assert y.shape == x.shape and len(labelled) > 0
            assert 0 <= labelled.min() and labelled.max() < task.num_outputs
        else:
            assert y.shape[1] == task.num_outputs and np.isfinite(y).all()


@pytest.mark.parametrize("name", OFFLINE)
def test_info_has_provenance(name: str, prepared) -> None:
    info = prepared(name).info()
    for key in ("family", "source", "licence", "version", "offline", "split_definition",
                "sizes", "params", "preprocessing", "fingerprint", "prepare_seconds"):
        assert key in info, key
    assert len(info["fingerprint"]) == 64
    assert all(info["sizes"][s] > 0 for s in SPLITS)


@pytest.mark.parametrize("name", OFFLINE)
def test_splits_are_disjoint(name: str, prepared) -> None:
    data = prepared(name)
    if data.family == "sentiment":
        texts = [set(data.extra("text", s)) for s in SPLITS]
        assert not (texts[0] & texts[1]) and not (texts[0] & texts[2])
        assert not (texts[1] & texts[2])
    elif data.family == "forecasting":
        steps = data.info()["split_steps"]
        span = data.params["lookback"] + data.params["horizon"]
        for split in SPLITS:
            # window i covers [start + i*stride, start + i*stride + span): inside the split
            start, end = steps[split]
            assert len(data.load(split)[0]) == len(range(start, end - span + 1,
                                                         data.params["stride"]))
        for before, after in zip(SPLITS, SPLITS[1:], strict=False):
            # a whole window's gap between splits: no window, input or target, is shared
            assert steps[after][0] - steps[before][1] >= span
    else:
        if "voice_train" in data.arrays():  # synthesised speech: no voice in two splits
            voices = [set(data.extra("voice", s)) for s in SPLITS]
            assert not (voices[0] & voices[1]) and not (voices[0] & voices[2])
            assert not (voices[1] & voices[2])
        rows = [{x.tobytes() for x in data.load(s)[0]} for s in SPLITS]
        assert not (rows[0] & rows[1]) and not (rows[0] & rows[2]) and not (rows[1] & rows[2])


@pytest.mark.parametrize("name", [n for n in OFFLINE
                                  if dataset_class(n).family in ("speech", "forecasting")])
def test_normalisation_fitted_on_train_only(name: str, prepared) -> None:
    data = prepared(name)
    x_train, x_test = data.load("train")[0], data.load("test")[0]
    if data.family == "forecasting":
        # the train span is the first window plus each later window's last `stride` steps
        # (less its last `horizon` steps, which appear only as targets)
        stride = data.params["stride"]
        train_steps = np.concatenate([x_train[0], *x_train[1:, -stride:]])
        test_steps = np.concatenate([x_test[0], *x_test[1:, -stride:]])
        tolerance = 0.05
    else:
        train_steps = x_train[np.abs(x_train).sum(axis=2) > 0]
        test_steps = x_test[np.abs(x_test).sum(axis=2) > 0]
        tolerance = 1e-3
    # statistics fitted on train: train steps are z-scored ...
    np.testing.assert_allclose(train_steps.mean(axis=0), 0, atol=tolerance)
    np.testing.assert_allclose(train_steps.std(axis=0), 1, atol=tolerance)
    # ... and the test steps, never seen by the fit, are not
    assert np.abs(test_steps.mean(axis=0)).max() > 0.01


@pytest.mark.parametrize("name", [n for n in OFFLINE if dataset_class(n).family == "sentiment"])
def test_vocabulary_fitted_on_train_only(name: str, prepared) -> None:
    data = prepared(name)
    train_ids = set(np.unique(data.load("train")[0]))
    test_ids = set(np.unique(data.load("test")[0]))
    assert test_ids <= train_ids | {1}  # words unseen in train map to OOV (1)
    assert 1 in test_ids


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.slow if n in ("tts_commands", "household_power") else [])
    for n in OFFLINE])
def test_two_prepares_are_byte_identical(name: str, fresh_data_home, prepared,
                                         dataset_params) -> None:
    fresh = get_dataset(name, **dataset_params(name))
    again = prepared(name).arrays()
    arrays = fresh.arrays()
    assert fresh.cache_path().is_relative_to(fresh_data_home)
    assert set(arrays) == set(again)
    for key in arrays:
        assert arrays[key].tobytes() == again[key].tobytes(), key


def test_cache_survives_interruption(fresh_data_home, monkeypatch) -> None:
    data = get_dataset("japanese_vowels")

    def interrupted(handle, **arrays):
        handle.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(cache_mod.np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        data.arrays()
    folder = data.cache_path().parent
    assert not data.cache_path().exists()
    assert not list(folder.glob("*.tmp"))
    monkeypatch.undo()
    monkeypatch.setenv("SEQZOO_DATA", str(fresh_data_home))
    assert len(get_dataset("japanese_vowels").load("train")[0]) > 0


def test_corrupt_cache_file_is_reprepared(fresh_data_home) -> None:
    data = get_dataset("japanese_vowels")
    data.arrays()
    data.cache_path().write_bytes(b"\x00garbage")
    again = get_dataset("japanese_vowels")
    assert len(again.load("test")[0]) == 370


def test_unknown_dataset() -> None:
    with pytest.raises(KeyError, match="unknown dataset 'mr_polarty'; did you mean mr_polarity"):
        get_dataset("mr_polarty")


def test_unknown_dataset_parameter() -> None:
    with pytest.raises(ValueError, match="has no parameter 'window'; allowed: target, lookback"):
        get_dataset("appliances_energy", window=3)


def test_wheel_that_cannot_be_fetched(fresh_data_home) -> None:
    ghost = PinnedWheel("seqzoo-no-such-package", "9.9.9", "seqzoo_no_such-9.9.9.whl",
                        "0" * 64, "none")
    with pytest.raises(DataError, match="cannot fetch data wheel seqzoo-no-such-package==9.9.9"):
        fetch_wheel(ghost)


def test_wheel_with_wrong_sha256(fresh_data_home) -> None:
    from benchmarks.data.speech import SKTIME

    wrong = PinnedWheel(SKTIME.package, SKTIME.version, SKTIME.filename, "f" * 64, "x")
    with pytest.raises(DataError, match=r"sktime==1.2.0 .* has sha256 .* expected ffff"):
        fetch_wheel(wrong)


def test_corrupt_source_file_caught_by_checksum(fresh_data_home) -> None:
    from benchmarks.data.speech import SKTIME

    path = fresh_data_home / "wheels" / SKTIME.filename
    original = path.resolve().read_bytes()
    path.unlink()
    path.write_bytes(original[: len(original) // 2])  # truncated download
    with pytest.raises(DataError, match=f"{SKTIME.filename} has sha256"):
        read_member(SKTIME, "sktime/__init__.py")


def test_a_wheel_another_process_unpacked_first_is_kept(fresh_data_home, monkeypatch) -> None:
    """Two workers on the same fresh data: the second one's rename finds the first one's copy."""
    from benchmarks.data.commands import ESPEAKNG

    def unpacked_meanwhile(archive, folder, prefix):
        safe_extract(archive, folder, prefix)
        target = fresh_data_home / "unpacked" / f"{ESPEAKNG.package}-{ESPEAKNG.version}"
        (target / prefix).mkdir(parents=True)
        (target / prefix / "first.txt").write_text("the other process's copy")

    monkeypatch.setattr(wheels, "safe_extract", unpacked_meanwhile)
    folder = wheels.unpack_wheel(ESPEAKNG, "espeakng_loader/")
    assert [p.name for p in folder.iterdir()] == ["first.txt"]
    assert not list((fresh_data_home / "unpacked").glob("*.tmp"))


def test_archive_escape_refused(tmp_path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("data/ok.txt", "fine")
        archive.writestr("data/../../escaped.txt", "bad")
    with zipfile.ZipFile(evil) as archive, pytest.raises(DataError, match="would escape"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()


def test_window_longer_than_series() -> None:
    series = np.random.default_rng(0).normal(size=(300, 3))
    with pytest.raises(DataError, match="lookback=200 \\+ horizon=24 = 224 steps is too long"):
        window_series(series, 0, 200, 24)


def test_empty_split_is_an_error(fresh_data_home) -> None:
    with pytest.raises(DataError, match="too long for a series"):
        get_dataset("tmy3_weather", lookback=1300, horizon=24).arrays()


def test_unknown_target_column(fresh_data_home) -> None:
    with pytest.raises(ValueError, match="target 'Temp' is not allowed for appliances_energy"):
        get_dataset("appliances_energy", target="Temp").arrays()
