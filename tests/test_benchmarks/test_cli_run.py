"""``seqzoo run``: bad input fails before training; the smoke suite runs end to end."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from benchmarks.cli import main
from results.store import Store


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--models", "lstn", "--datasets", "mr_polarity"], "unknown model 'lstn'"),
        (["--models", "*foo*", "--datasets", "mr_polarity"], "pattern '*foo*' matches no model"),
        (["--models", "lstm", "--datasets", "imbd"], "unknown dataset 'imbd'"),
        (["--suite", "huge"], "unknown suite 'huge'"),
        (["--suite", "smoke", "--device", "gpu"], "device 'gpu' requested but TensorFlow"),
        (["--suite", "smoke", "--device", "abacus"], "device 'abacus' is not allowed"),
        (["--suite", "smoke", "--backend", "mxnet"], "backend 'mxnet' is not allowed"),
        (["--models", "lstm"], "give --suite NAME, or both --models and --datasets"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(argv, message, tmp_path, capsys) -> None:
    store = tmp_path / "s.sqlite"
    assert main(["run", *argv, "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqzoo: error:") and message in err and "\n" not in err
    assert not store.exists() or Store(store).runs().empty


def test_non_integer_seed(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--suite", "smoke", "--seeds", "0,x", "--store", str(tmp_path / "s")])
    assert "seed 'x' is not an integer" in capsys.readouterr().err


def test_unwritable_and_foreign_store(tmp_path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["run", "--suite", "smoke", "--store", str(blocker / "s.sqlite")]) == 2
    assert "is not writable" in capsys.readouterr().err
    foreign = tmp_path / "foreign.sqlite"
    foreign.write_bytes(b"not a database" * 200)
    assert main(["run", "--suite", "smoke", "--store", str(foreign)]) == 2
    assert "is not a seqzoo database" in capsys.readouterr().err


def test_smoke_suite_end_to_end_then_resume(tmp_path) -> None:
    store = tmp_path / "smoke.sqlite"
    env = {**os.environ, "COLUMNS": "120"}
    cmd = [sys.executable, "-m", "benchmarks.cli", "run", "--suite", "smoke", "--store",
           str(store)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    runs = Store(store).runs()
    assert len(runs) == 21 and set(runs["status"]) == {"ok"}, runs[["model", "status", "error"]]
    assert set(runs["dataset"]) == {"mr_polarity", "japanese_vowels", "appliances_energy"}
    assert "ranked by accuracy" in proc.stdout and "ranked by mae" in proc.stdout
    # resume: every run is already stored with status ok, so nothing would run again
    dry = subprocess.run([*cmd, "--dry-run"], capture_output=True, text=True, env=env)
    assert "21 runs (21 already in" in dry.stdout.replace("\n", " ")
    assert dry.stdout.count("skip ") == 21
    # a new seed is planned, the old ones skipped
    more = subprocess.run([*cmd, "--dry-run", "--seeds", "0,1"], capture_output=True,
                          text=True, env=env)
    assert more.stdout.count("skip ") == 21 and more.stdout.count("run  ") == 21
