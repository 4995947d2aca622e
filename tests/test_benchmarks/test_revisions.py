"""``python -m benchmarks.perf.revisions``: a model's speed and memory at another revision
beside this checkout's, each child importing its own revision's ``zoo``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from benchmarks.perf.revisions import (
    HERE,
    ROOT,
    child_env,
    main,
    resolve,
    run_child,
    table,
    worktree,
    zoo_first,
)


def _worktrees() -> str:
    return subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True,
                          text=True, check=True).stdout


def test_a_child_imports_the_zoo_of_its_revision_and_the_worktree_is_removed() -> None:
    commit = resolve("HEAD")
    assert len(commit) == 40
    with worktree(commit) as tree, zoo_first(tree / "zoo") as folder:
        assert str(tree) in _worktrees()
        found = subprocess.run(
            [sys.executable, "-c", "import zoo, benchmarks; print(zoo.__file__); "
                                   "print(benchmarks.__file__)"],
            cwd=folder, env=child_env(folder), capture_output=True, text=True, check=True)
        zoo_file, benchmarks_file = found.stdout.split()
        assert zoo_file.startswith(str(folder / "zoo"))
        assert (folder / "zoo").resolve() == (tree / "zoo").resolve()
        assert benchmarks_file.startswith(str(ROOT / "benchmarks"))
    assert str(tree) not in _worktrees() and not tree.exists()


def test_the_table_divides_this_checkout_by_the_other_revision() -> None:
    then = {"samples_per_s": 200.0, "peak_mib": 1000.0, "xla": True, "rounds": 3}
    now = {"samples_per_s": 500.0, "peak_mib": 1500.0, "xla": False, "rounds": 3}
    out = table({(128, "mamba", "on", "v1"): then, (128, "mamba", "on", HERE): now,
                 (128, "lstm", "on", "v1"): then, (128, "lstm", "on", HERE): {"error": "boom"}},
                "v1").splitlines()
    assert len(out) == 3
    lstm, mamba = out[1].split(), out[2].split()
    assert lstm[:3] == ["128", "lstm", "on"] and "failed: boom" in out[1]
    assert mamba == ["128", "mamba", "on", "200.0", "(XLA)", "500.0", "2.50", "1,000", "1,500",
                     "1.50"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--against", "no-such-revision"], "revision 'no-such-revision' is not a commit of"),
    ([], "--against is required"),
    (["--against", "HEAD", "--jit", "sometimes"], "--jit 'sometimes' is not allowed; use one of"),
    (["--against", "HEAD", "--rounds", "0"], "0 is not allowed; use a positive integer"),
])
def test_bad_arguments_are_one_line_errors(argv: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[-1]


@pytest.mark.slow  # ~20 s: two children, each importing TensorFlow and training an LSTM
def test_comparing_this_checkout_with_head_prints_a_ratio_per_model(capsys) -> None:
    main(["--against", "HEAD", "--models", "lstm", "--lengths", "8", "--jit", "off",
          "--rounds", "1", "--batch", "4", "--batches", "1", "--repeats", "1"])
    last = capsys.readouterr().out.strip().splitlines()[-1].split()
    assert last[:3] == ["8", "lstm", "off"]
    assert float(last[5]) > 0 and float(last[-1]) > 0


@pytest.mark.slow  # ~10 s: a child imports TensorFlow and trains an LSTM
def test_a_child_that_imported_another_zoo_counts_as_failed(tmp_path) -> None:
    arrays = tmp_path / "windows.npz"
    np.savez(arrays, x=np.ones((4, 8, 2), "float32"), y=np.ones((4, 3), "float32"))
    job = {"model": "lstm", "jit": "off", "steps": 8, "batch": 4, "batches": 1, "repeats": 1,
           "data": str(arrays)}
    bare = tmp_path / "no-zoo-link"  # the child falls back to this checkout's zoo
    bare.mkdir()
    assert "imported zoo from" in run_child(job, bare)["error"]
    with zoo_first(ROOT / "zoo") as folder:
        assert run_child(job, folder)["samples_per_s"] > 0
