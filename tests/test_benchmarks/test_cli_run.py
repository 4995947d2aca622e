"""``seqzoo run``: bad input fails before training; the smoke suite runs end to end."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import zoo
from benchmarks.cell.quiet import is_native_log
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
        (["--suite", "smoke", "--workers", "0"], "--workers 0 is not allowed; use 1 or more"),
        (["--suite", "smoke", "--workers", "-3"], "--workers -3 is not allowed"),
        (["--suite", "smoke", "--max-attempts", "0"], "--max-attempts: 0 is not allowed"),
        (["--suite", "smoke", "--lease", "0.5"], "--lease 0.5 is not allowed"),
        (["--suite", "smoke", "--timeout-per-run", "-1"], "--timeout-per-run -1 is not allowed"),
        (["--suite", "smoke", "--seeds", "-5"], "seed -5 is not allowed; use integers >= 0"),
        (["--suite", "smoke", "--seeds", "0,x"], "seed 'x' is not an integer"),
        (["--suite", "smoke", "--epochs", "0"], "--epochs: 0 is not allowed; use a positive"),
        (["--suite", "smoke", "--epochs", "-3"], "--epochs: -3 is not allowed"),
        (["--suite", "smoke", "--batch-size", "0"], "--batch-size: 0 is not allowed"),
        (["--suite", "smoke", "--plugin", "nowhere.py"], "plugin file nowhere.py does not exist"),
        (["--suite", "smoke", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(argv, message, tmp_path, capsys) -> None:
    store = tmp_path / "s.sqlite"
    assert main(["run", *argv, "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqzoo: error:") and message in err and "\n" not in err
    assert not store.exists() or Store(store).runs().empty


def test_data_home_that_is_a_file(tmp_path, monkeypatch, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("SEQZOO_DATA", str(blocker / "cache"))
    store = tmp_path / "s.sqlite"
    for command in (["run", "--suite", "smoke", "--store", str(store)], ["data", "list"]):
        assert main(command) == 2
        err = capsys.readouterr().err.strip()
        assert f"SEQZOO_DATA={blocker / 'cache'} is not allowed: {blocker} is a file" in err
        assert "\n" not in err
    assert not store.exists()


def test_unwritable_and_foreign_store(tmp_path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["run", "--suite", "smoke", "--store", str(blocker / "s.sqlite")]) == 2
    assert "is not writable" in capsys.readouterr().err
    foreign = tmp_path / "foreign.sqlite"
    foreign.write_bytes(b"not a database" * 200)
    assert main(["run", "--suite", "smoke", "--store", str(foreign)]) == 2
    assert "is not a seqzoo database" in capsys.readouterr().err


def _smoke_end_to_end_then_resume(tmp_path, models: list[str]) -> None:
    store = tmp_path / "smoke.sqlite"
    env = {**os.environ, "COLUMNS": "120"}
    cmd = [sys.executable, "-m", "benchmarks.cli", "run", "--suite", "smoke", "--store",
           str(store), "--workers", "2", *(["--models", ",".join(models)] if models else [])]
    cells = 3 * (len(models) if models else 11) + 7  # + 2 sentiment, 2 speech, 3 forecasting
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # quiet: no TensorFlow, absl or XLA log line reaches the user
    assert not [line for line in (proc.stdout + proc.stderr).splitlines()
                if is_native_log(line.encode()) or "absl" in line], proc.stderr[-2000:]
    runs = Store(store).runs()
    assert len(runs) == cells and set(runs["status"]) == {"ok"}, runs[["model", "status", "error"]]
    assert set(runs["dataset"]) == {"mr_polarity", "japanese_vowels", "appliances_energy"}
    assert set(runs[runs["is_baseline"]]["model"]) == {
        "majority", "tfidf_logreg", "features_logreg", "naive", "seasonal_naive", "linear_ar"}
    assert "ranked by accuracy" in proc.stdout and "ranked by mae" in proc.stdout
    # resume: every run is already stored with status ok, so nothing would run again
    dry = subprocess.run([*cmd, "--dry-run"], capture_output=True, text=True, env=env)
    assert f"{cells} runs ({cells} already in" in " ".join(dry.stdout.split())
    assert dry.stdout.count("skip ") == cells
    assert "estimate: nothing left to run" in dry.stdout
    # a new seed is planned, the old ones skipped
    more = subprocess.run([*cmd, "--dry-run", "--seeds", "0,1"], capture_output=True,
                          text=True, env=env)
    assert more.stdout.count("skip ") == cells and more.stdout.count("run  ") == cells
    # seed 1 of every cell is estimated from seed 0's measured time
    assert f"estimate: {cells} of the {cells} cells to run take about" in \
        " ".join(more.stdout.split())
    # the report of the stored runs: three files, baselines marked, every dataset present
    out = tmp_path / "report"
    report = subprocess.run([sys.executable, "-m", "benchmarks.cli", "report", "--store",
                             str(store), "--out", str(out)], capture_output=True, text=True)
    assert report.returncode == 0, report.stderr[-2000:]
    markdown = (out / "leaderboard.md").read_text()
    assert "tfidf_logreg (baseline)" in markdown and "naive (baseline)" in markdown
    for name in ("japanese_vowels", "appliances_energy", "mr_polarity"):
        assert f"## {name} (smoke)" in markdown
    assert (out / "leaderboard.csv").stat().st_size and (out / "leaderboard.html").stat().st_size


def test_smoke_suite_end_to_end_then_resume(tmp_path) -> None:
    """Two families (one sequential, one parallel-in-time) and every baseline, end to end."""
    _smoke_end_to_end_then_resume(tmp_path, ["rnn", "s4d"])


@pytest.mark.slow
def test_whole_smoke_suite_end_to_end_then_resume(tmp_path) -> None:
    """Every cell: every model x 3 datasets + baselines (about 4.5 minutes on 2 cores for the
    40 cells of eleven families)."""
    _smoke_end_to_end_then_resume(tmp_path, [])


def test_canonical_suite_plans_offline(tmp_path, capsys) -> None:
    store = tmp_path / "new" / "s.sqlite"
    assert main(["run", "--suite", "canonical", "--dry-run", "--store", str(store)]) == 0
    assert not store.parent.exists()  # a dry run writes nothing, not even an empty store
    out = capsys.readouterr().out
    # 3 datasets x (every model + 2 or 3 baselines: 7 in all) x 3 seeds, without any download
    models = len(zoo.list_models())
    runs = 3 * (3 * models + 7)
    assert f"{models} models + baselines x 3 datasets x 3 seeds = {runs} runs" in " ".join(
        out.split())
    for name in ("imdb", "speech_commands", "jena_climate"):
        assert f"/ {name} / seed 2" in out


@pytest.mark.parametrize(("store", "message"), [
    ("mysql://u:p@localhost/db", "store URL dialect 'mysql' is not supported"),
    ("postgresql+psycopg://u:pw@127.0.0.1:1/db", 'connection to server at "127.0.0.1", port 1'),
])
def test_bad_store_url_is_one_line(store, message, capsys) -> None:
    for command in (["run", "--suite", "smoke"], ["worker"], ["report"]):
        assert main([*command, "--store", store]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("seqzoo: error:") and message in err and "\n" not in err


def test_report_errors_are_one_line(tmp_path, capsys) -> None:
    assert main(["report", "--store", str(tmp_path / "none.sqlite")]) == 2
    assert "does not exist; run `seqzoo run --suite quick` first" in capsys.readouterr().err
    Store(tmp_path / "empty.sqlite")
    assert main(["report", "--store", str(tmp_path / "empty.sqlite"),
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqzoo: error: store") and "has no runs" in err and "\n" not in err
