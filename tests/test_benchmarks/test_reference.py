"""``seqzoo reference``: its parts, which rows are stale, the ledger, the check's sample, and
a tiny reference regenerated, resumed and checked end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest
from clean import one_line_error, seqzoo

from benchmarks.cell.budget import Budget
from benchmarks.cell.provenance import git_revision
from benchmarks.cli import reference as cli
from benchmarks.data import canonical_id
from benchmarks.grids import reference
from benchmarks.grids.reference import (
    Ledger,
    Part,
    cell_time,
    check_sample,
    model_files,
    part_of,
    select_parts,
    stale_runs,
    verdict,
)
from results.memory import PROBES
from results.record import RunRecord
from results.store import Store

ROOT = Path(__file__).resolve().parents[2]
TINY = canonical_id("adding:lag=5,n_train=64,n_val=32,n_test=32")


def test_the_reference_runs_every_probe_every_backend_and_one_model_per_family() -> None:
    import zoo

    names = [p.name for p in select_parts(None, 900)]
    assert names[0] == "standard" and "scale" in names
    assert {n.split()[1] for n in names if n.startswith("diagnose")} == set(PROBES)
    assert "diagnose selective_copy control" in names
    assert [n for n in names if n.startswith("parity")] == [
        "parity tensorflow", "parity jax", "parity torch"]
    standard = select_parts(["standard"], 900)[0].args
    models = standard[standard.index("--models") + 1].split(",")
    families = {zoo.get_model_info(m).family for m in zoo.list_models()}
    assert len(models) == len(families) and "xlstm" in models and "mlstm" not in models
    parity = select_parts(["parity"], 900)
    assert parity[0].name == "parity tensorflow" and "--no-baselines" in parity[1].args
    with pytest.raises(ValueError, match="--parts 'scaling' is not a part of the reference"):
        select_parts(["scaling"], 900)


def test_dataset_lists_keep_each_id_s_parameters_together() -> None:
    from benchmarks.cli.args import dataset_list

    assert dataset_list("adding:lag=5,n_train=64, mr_polarity,mqar:length=64") == [
        "adding:lag=5,n_train=64", "mr_polarity", "mqar:length=64"]
    assert dataset_list("mr_polarity,lag=5") == ["mr_polarity", "lag=5"]  # no id to join


def test_model_files_follow_the_model_s_zoo_imports() -> None:
    rnn, mamba = model_files("rnn"), model_files("mamba")
    assert "zoo/models/recurrent.py" in rnn and "zoo/model.py" in rnn
    assert "zoo/models/modern.py" in mamba and "zoo/scan.py" in mamba
    assert "zoo/models/modern.py" not in rnn and "zoo/__init__.py" not in mamba


def _row(model: str, revision: str | None, **extra: object) -> dict:
    return {"id": len(model) + hash(revision) % 100, "model": model, "suite": "standard",
            "git_revision": revision, "is_baseline": False, **extra}


def _zoo_repo(tmp_path: Path) -> tuple[Path, str]:
    """A git repository holding a copy of ``zoo/``, committed once: its path and revision."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "zoo", repo / "zoo", ignore=shutil.ignore_patterns("__pycache__"))

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "zoo")
    return repo, git("rev-parse", "--short=12", "HEAD")


def _stale(runs: pd.DataFrame, repo: Path) -> dict[int, str]:
    caches = (model_files, reference.setting_keys, reference._settings_at)
    for cache in caches:
        cache.cache_clear()
    try:
        return stale_runs(runs, repo).set_index("id")["reason"].to_dict()
    finally:
        for cache in caches:
            cache.cache_clear()


def test_rows_are_stale_when_their_model_s_code_changed(tmp_path) -> None:
    repo, head = _zoo_repo(tmp_path)
    modern = repo / "zoo" / "models" / "modern.py"
    modern.write_text(modern.read_text() + "\n# changed\n")
    runs = pd.DataFrame([
        {**_row("rnn", head), "id": 1}, {**_row("mamba", head), "id": 2},
        {**_row("lstm", f"{head}-dirty"), "id": 3}, {**_row("gru", None), "id": 4},
        {**_row("gru", "0123456789ab"), "id": 5},
        {**_row("majority", None), "id": 6, "is_baseline": True},
        {**_row("gone", head), "id": 7}])
    stale = _stale(runs, repo)
    assert 1 not in stale and 6 not in stale  # rnn's files did not change; baselines never
    assert stale[2] == f"its code changed since {head}"
    assert "modified checkout" in stale[3] and stale[4] == "no code revision recorded"
    assert stale[5] == "revision 0123456789ab is not in this repository"
    assert stale[7] == "the model is no longer registered"


def test_rows_are_stale_when_a_measured_choice_they_ran_with_changed(tmp_path) -> None:
    import json

    repo, head = _zoo_repo(tmp_path)
    table_path = repo / reference.SETTINGS_FILE
    table = json.loads(table_path.read_text())
    mamba = table["tensorflow"]["cpu"]["mamba"]
    runs = pd.DataFrame([
        {**_row("mamba", head, backend="tensorflow", device="cpu"), "id": 1},
        {**_row("mamba", head, backend="jax", device="cpu"), "id": 2},
        {**_row("lstm", head, backend="tensorflow", device="cpu"), "id": 3},
        {**_row("s4d", head, backend="tensorflow", device="cpu"), "id": 4}])
    # measured again, the same choices: the figures changed, nothing a row ran did
    mamba["scan"]["samples_per_s"] = {"128": {"doubling": 1.0}}
    mamba["scan"]["measured"] = "2099-01-01"
    table_path.write_text(json.dumps(table))
    assert _stale(runs, repo) == {}
    others = [form for form in ("doubling", "sequential") if form != mamba["scan"]["form"]]
    mamba["scan"]["form"] = others[0]
    table_path.write_text(json.dumps(table))
    stale = _stale(runs, repo)
    assert stale[1] == (f"its measured settings (mamba on tensorflow cpu, "
                        f"zoo/fast_settings.json) changed since {head}")
    assert 2 not in stale and 3 not in stale  # another backend's table; lstm reads no scan
    assert 4 in stale  # s4d's module names Mamba's scan kind: it reruns with it
    assert reference.setting_keys("lstm", repo) == ("lstm",)


def test_the_ledger_adds_up_each_part_over_invocations(tmp_path) -> None:
    part = Part("scale", ("scale",))
    ledger = Ledger(tmp_path / "parts.json")
    ledger.add(part, 60.0, "seqzoo scale", "t1", 0)
    Ledger(tmp_path / "parts.json").add(part, 30.5, "seqzoo scale", "t2", 0)
    again = Ledger(tmp_path / "parts.json")
    assert again.parts["scale"]["seconds"] == 90.5 and again.parts["scale"]["invocations"] == 2
    assert again.total() == 90.5 and again.parts["scale"]["last"] == "t2"


def _stored(scores: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    rows = []
    for (model, dataset), values in scores.items():
        for seed, value in enumerate(values):
            rows.append({"id": len(rows) + 1, "model": model, "dataset": dataset, "seed": seed,
                         "suite": "standard", "status": "ok", "is_baseline": False,
                         "accuracy": value})
    return pd.DataFrame(rows)


def test_the_check_samples_by_seed_and_tests_the_interval() -> None:
    stored = _stored({("lstm", "a"): [0.80, 0.82, 0.81], ("gru", "a"): [0.7, 0.72, 0.71],
                      ("rnn", "a"): [0.6]})
    first, again = check_sample(stored, 2, seed=3), check_sample(stored, 2, seed=3)
    assert first["id"].tolist() == again["id"].tolist()
    assert "rnn" not in set(first["model"])  # one seed: no interval to check against
    row = next(stored[stored["model"] == "lstm"].itertuples())
    inside, text = verdict(stored, row, 0.81, "accuracy")
    assert inside and "within 0.8100 ±" in text
    inside, text = verdict(stored, row, 0.90, "accuracy")
    assert not inside and "OUTSIDE" in text
    with pytest.raises(ValueError, match="holds 6 standard rows with an interval; --sample 9"):
        check_sample(stored, 9, seed=0)


def test_every_row_a_part_writes_counts_its_cell_time_to_that_part(tmp_path) -> None:
    from results.queue import Cell

    names = {p.name for p in select_parts(None, 900)}
    rows = [("standard", "mr_polarity", "tensorflow"), ("scale", "scale:length=64", "jax"),
            ("parity", "mr_polarity", "torch"),
            ("diagnose", "mqar:kv=4,length=32,vocab=64", "tensorflow"),
            ("diagnose", "selective_copy:length=32,tokens=4,variable=false,vocab=8", "tensorflow"),
            ("diagnose", "selective_copy:length=32,tokens=4,vocab=8", "tensorflow")]
    assert [part_of(*row) for row in rows] == [
        "standard", "scale", "parity torch", "diagnose mqar", "diagnose selective_copy control",
        "diagnose selective_copy"]
    assert {part_of(*row) for row in rows} <= names
    assert part_of("quick", "mr_polarity", "tensorflow") is None
    assert part_of("diagnose", "mqar:kv=4,length=64,vocab=8192", "tensorflow") is None  # paper
    store = Store(tmp_path / "s.sqlite")
    cells = [Cell("rnn", dataset, seed, suite, "h", {}) for suite, dataset, _ in rows[:2]
             for seed in (0, 1)] + [Cell("rnn", "mr_polarity", 0, "quick", "h", {})]
    store.enqueue(cells)
    while (cell := store.claim("w", 60)) is not None:
        store.complete(cell, "w", RunRecord(model=cell.model, dataset=cell.dataset,
                                            seed=cell.seed, suite=cell.suite,
                                            backend="tensorflow", device="cpu",
                                            hparams_hash="h"))
    totals = cell_time(store.runs(), store.durations())
    assert set(totals) == {"standard", "scale"} and all(v >= 0 for v in totals.values())
    assert cell_time(store.runs(), store.durations().iloc[:0]) == {}


def test_retire_deletes_runs_and_their_queue_cells(tmp_path) -> None:
    from results.queue import Cell

    store = Store(tmp_path / "s.sqlite")
    cell = Cell("rnn", "d", 0, "standard", "h1", {})
    store.enqueue([cell])
    kept = store.add(RunRecord(model="lstm", dataset="d", seed=0, suite="standard",
                               backend="tensorflow", device="cpu", hparams_hash="h2"))
    gone = store.add(RunRecord(model="rnn", dataset="d", seed=0, suite="standard",
                               backend="tensorflow", device="cpu", hparams_hash="h1"))
    assert store.retire([gone]) == 1 and store.retire([]) == 0
    assert store.runs()["id"].tolist() == [kept] and store.cells() == []


def test_bad_reference_flags_are_one_line_errors(tmp_path) -> None:
    line = one_line_error(seqzoo("reference", "--parts", "standrad", "--dry-run"))
    assert "--parts 'standrad' is not a part of the reference; use one of standard" in line
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n")
    line = one_line_error(seqzoo("reference", "--readme", str(readme), "--dry-run"))
    assert "needs one '<!-- reference results -->' line" in line
    line = one_line_error(seqzoo("reference", "--timeout-per-run", "0", "--dry-run"))
    assert "--timeout-per-run 0 is not allowed" in line
    line = one_line_error(seqzoo("reference", "--check", "--store",
                                 str(tmp_path / "none.sqlite")))
    assert "holds no reference rows; run `seqzoo reference` first" in line


def test_writing_the_reference_store_leaves_the_checkout_clean(tmp_path) -> None:
    """A reference run writes its store inside the checkout; its next invocation must not
    retire the rows as from a modified checkout. Changed code still marks them."""
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    store = tmp_path / "results" / "reference" / "seqzoo.sqlite"
    store.parent.mkdir(parents=True)
    (tmp_path / "zoo").mkdir()
    (tmp_path / "zoo" / "model.py").write_text("A = 1\n")
    store.write_bytes(b"rows")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "code and store")
    store.write_bytes(b"more rows")
    revision = git_revision.__wrapped__(tmp_path)  # uncached: the tree changes below
    assert revision is not None and not revision.endswith("-dirty")
    (tmp_path / "zoo" / "model.py").write_text("A = 2\n")
    assert git_revision.__wrapped__(tmp_path) == f"{revision}-dirty"


def test_a_modified_checkout_is_warned_of_before_anything_runs(tmp_path, monkeypatch,
                                                                capsys) -> None:
    from benchmarks.cell import provenance

    monkeypatch.setattr(cli, "dry_run", lambda req, chosen: 0)
    req = cli.ReferenceRequest(str(tmp_path / "ref.sqlite"), tmp_path / "ref", 1, None, 900.0,
                               tmp_path / "README.md", dry_run=True)
    monkeypatch.setattr(provenance, "git_revision", lambda: "0123456789ab-dirty")
    assert cli.regenerate(req) == 0
    assert "checkout's code is modified (0123456789ab-dirty)" in capsys.readouterr().err
    monkeypatch.setattr(provenance, "git_revision", lambda: "0123456789ab")
    assert cli.regenerate(req) == 0
    assert "warning" not in capsys.readouterr().err


class _InterruptedOnce(subprocess.Popen):
    """A child process whose first plain ``wait`` raises ``KeyboardInterrupt`` in the parent,
    as Ctrl-C sent to the parent alone would."""

    def wait(self, timeout=None):
        if timeout is None and not getattr(self, "interrupted", False):
            self.interrupted = True
            raise KeyboardInterrupt
        return super().wait(timeout)


def test_an_interrupted_part_hands_its_work_back_before_the_reference_stops(
        tmp_path, monkeypatch) -> None:
    """The child was not sent the Ctrl-C: after the grace period it gets one, runs its own
    handler (a real part releases its cells there) and the part counts as interrupted."""
    released = tmp_path / "released"
    child = ("import signal, sys, time\n"
             "def stop(*_):\n"
             f"    open({str(released)!r}, 'w').write('cells released')\n"
             "    sys.exit(130)\n"
             "signal.signal(signal.SIGINT, stop)\n"
             "print('ready', flush=True)\n"
             "time.sleep(60)\n")
    monkeypatch.setattr(cli.subprocess, "Popen", _InterruptedOnce)
    assert cli.run_part([sys.executable, "-c", child], grace_s=2.0) == 130
    assert released.read_text() == "cells released"


def test_ctrl_c_publishes_what_is_stored_and_names_the_parts_left(tmp_path,
                                                                  monkeypatch) -> None:
    first, second = (Part("standard", ("run", "--suite", "smoke")),
                     Part("scale", ("scale", "--models", "rnn")))
    monkeypatch.setattr(reference, "parts", lambda timeout: [first, second])
    monkeypatch.setattr(cli, "run_part", lambda command: 130)
    monkeypatch.setattr(reference, "stale_runs",  # the row stays, whatever the checkout
                        lambda runs: pd.DataFrame(columns=["id", "model", "reason"]))
    store_path, out = tmp_path / "ref.sqlite", tmp_path / "ref"
    Store(store_path).add(RunRecord(model="rnn", dataset=TINY, seed=0, suite="standard",
                                    backend="tensorflow", device="cpu", hparams_hash="h",
                                    primary_metric="mae", mae=0.5,
                                    budget=json.dumps(asdict(Budget(epochs=1)))))
    req = cli.ReferenceRequest(str(store_path), out, 1, None, 900.0, tmp_path / "README.md")
    with pytest.raises(KeyboardInterrupt):
        cli.regenerate(req)
    assert Ledger(out / "parts.json").parts["standard"]["returncode"] == 130
    assert "scale" not in Ledger(out / "parts.json").parts  # the run stopped at the first
    doc = (out / "README.md").read_text()
    assert "| standard |" in doc and "130 (interrupted; resumes)" in doc
    assert "Still to run or to finish: standard, scale" in doc
    assert (out / "leaderboard.md").exists()
    empty = cli.ReferenceRequest(str(tmp_path / "empty.sqlite"), tmp_path / "empty", 1, None,
                                 900.0, tmp_path / "README.md")
    with pytest.raises(KeyboardInterrupt):  # nothing stored yet: nothing to publish
        cli.regenerate(empty)
    assert not (tmp_path / "empty" / "leaderboard.md").exists()


@pytest.mark.slow  # three seqzoo runs and a check: 3 minutes on 2 busy cores, 1.5 idle
def test_a_tiny_reference_is_written_resumed_and_checked(tmp_path, monkeypatch) -> None:
    """The reference's whole path on one tiny part: a stale row is retired,
    the part runs, parts.json, the report, README.md and the README's Results section are
    written; a second invocation finds nothing to run; --check re-runs a cell within its
    interval."""
    tiny = Part("standard", ("run", "--suite", "standard", "--models", "rnn", "--datasets",
                             TINY, "--seeds", "0,1", "--no-baselines"))
    monkeypatch.setattr(reference, "parts", lambda timeout: [tiny])
    store_path, out = tmp_path / "ref.sqlite", tmp_path / "ref"
    store = Store(store_path)
    store.add(RunRecord(model="rnn", dataset=TINY, seed=0, suite="standard",
                        backend="tensorflow", device="cpu", hparams_hash="old",
                        git_revision="0123456789ab", primary_metric="mae", mae=9.0))
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n## Results\n\n<!-- reference results -->\nOLDTEXT\n"
                      "<!-- /reference results -->\n\nafter\n")
    req = cli.ReferenceRequest(str(store_path), out, 1, None, 900.0, readme)
    assert cli.regenerate(req) == 0
    runs = Store(store_path).runs()
    assert sorted(runs["seed"]) == [0, 1] and "old" not in set(runs["hparams_hash"])
    assert {"leaderboard.md", "README.md", "parts.json"} <= {p.name for p in out.iterdir()}
    text = readme.read_text()
    assert "OLDTEXT" not in text and text.endswith("after\n")
    assert "Generated by `seqzoo reference`" in text
    assert f"`{TINY}`" in text and "rnn" in text
    doc = (out / "README.md").read_text()
    assert "| standard |" in doc and "seqzoo run --suite standard --models rnn" in doc
    assert cli.regenerate(req) == 0
    assert len(Store(store_path).runs()) == 2  # resumed: nothing ran again
    assert Ledger(out / "parts.json").parts["standard"]["invocations"] == 2
    checked = cli.check(cli.ReferenceRequest(str(store_path), out, 1, None, 900.0, readme,
                                             check=True, sample=1, check_seed=0))
    assert checked == 0
