"""Speed against PyTorch: each peer has its zoo model's trainable parameter count and output
shape; ``seqzoo perf`` on a tiny shape writes its CSV, store rows and the report section."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapes import TINY_TASKS, tiny_batch

import zoo
from benchmarks.cli import main
from benchmarks.perf.peers import PEERS
from results.report import write_report

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", PEERS)
@pytest.mark.parametrize("shape", list(TINY_TASKS))
def test_peer_has_the_zoo_models_parameter_count(name: str, shape: str) -> None:
    from benchmarks.perf.torch_peers import build_peer, trainable_count

    task = TINY_TASKS[shape]
    x, _ = tiny_batch(task)
    for hparams in ({}, {"units": 24} if name != "transformer" else {"embed_dim": 24}):
        resolved = zoo.resolve_hparams(name, hparams)
        model = zoo.build_model(name, task, **resolved)
        peer = build_peer(name, task, resolved, x)
        zoo_count = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        assert trainable_count(peer) == zoo_count
        with torch.inference_mode():
            out = peer.eval()(torch.as_tensor(x))
        assert tuple(out.shape) == (len(x), task.num_outputs)


def test_perf_writes_csv_store_rows_and_the_report_section(tmp_path) -> None:
    store, csv = tmp_path / "s.sqlite", tmp_path / "peers.csv"
    assert main(["perf", "--models", "lstm,transformer", "--shapes", "forecasting",
                 "--samples", "32", "--repeats", "1", "--store", str(store),
                 "--csv", str(csv)]) == 0
    rows = pd.read_csv(csv)
    assert list(rows["model"]) == ["lstm", "transformer"]
    assert set(rows["status"]) == {"ok"}
    assert (rows["zoo_params"] == rows["torch_params"]).all()
    assert (rows["train_ratio"] > 0).all() and (rows["infer_ratio"] > 0).all()
    assert set(rows["torch_version"]) == {torch.__version__}
    assert (rows["torch_threads"] >= 1).all() and set(rows["backend"]) == {"tensorflow"}
    from results.store import Store

    paths = write_report(Store(store), tmp_path / "report")
    markdown = (tmp_path / "report" / "leaderboard.md").read_text()
    assert "## Speed against PyTorch" in markdown and "tensorflow train" in markdown
    assert any(p.name == "peers.csv" for p in paths)


@pytest.mark.parametrize(("argv", "message"), [
    (["--backends", "mxnet"], "backend 'mxnet' has no peers run; use one of tensorflow"),
    (["--models", "mamba"], "model 'mamba' has no peers run; use one of rnn"),
    (["--shapes", "huge"], "shape 'huge' has no peers run"),
    (["--samples", "0"], "--samples: 0 is not allowed"),
])
def test_bad_perf_input_is_one_line(argv: list[str], message: str, tmp_path, capsys) -> None:
    assert main(["perf", "--store", str(tmp_path / "s.sqlite"), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_a_child_killed_by_a_signal_is_one_line(tmp_path) -> None:
    from clean import one_line_error, seqzoo, user_env

    env = user_env(tmp_path / "site", crash="benchmarks.perf.peers")
    store = tmp_path / "s.sqlite"
    line = one_line_error(seqzoo("perf", "--models", "gru", "--shapes", "speech", "--samples",
                                 "32", "--repeats", "1", "--store", str(store), env=env),
                          status=1)
    assert line == "seqzoo: the tensorflow backend's peers run failed: killed by SIGSEGV"
    assert not store.exists()
