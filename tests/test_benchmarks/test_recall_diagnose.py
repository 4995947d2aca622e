"""``seqzoo diagnose`` on the recall probes: presets, sweep planning, the trained weights at
longer lengths, bad input, the report's Reproduction table and its verdicts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

import zoo
from benchmarks.cell.extrapolate import accuracy_at, at_length
from benchmarks.cli import main
from benchmarks.data import get_dataset
from benchmarks.grids.diagnose import PRESETS, DiagnoseSettings, plan_diagnose, preset
from results.memory import memory_tables
from results.record import RunRecord
from results.reproduction import reproduction_rows
from results.store import Store

ENV = {**os.environ, "COLUMNS": "120", "TF_CPP_MIN_LOG_LEVEL": "2"}


def test_presets_hold_the_papers_settings_and_a_cpu_default() -> None:
    assert preset("selective_copy", "paper").points == (4096,)
    assert preset("selective_copy", "paper").params == {"tokens": 16, "vocab": 16}
    assert preset("mqar", "paper").points == (64, 128, 256)
    assert preset("mqar", "paper").params == {"vocab": 8192}
    assert preset("induction_heads", "paper").points == (256,)
    assert preset("induction_heads", "paper").test_lengths[-1] == 2**20
    for task, presets in PRESETS.items():
        assert "cpu" in presets, task
    with pytest.raises(ValueError, match="--preset 'paper' is not allowed for adding; use "
                                         "one of cpu"):
        preset("adding", "paper")


def test_the_mqar_cpu_preset_plans_kv_per_length_and_zoologys_attention(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.cli", "diagnose", "--task", "mqar",
                           "--models", "lstm,transformer", "--seeds", "0", "--dry-run",
                           "--store", str(tmp_path / "s.sqlite")],
                          env=ENV, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    planned = {line.split()[3] for line in proc.stdout.splitlines()
               if line.strip().startswith("run ")}
    assert planned == {"mqar:kv=2,length=16,n_test=1000,n_train=96000,n_val=1000,vocab=64",
                       "mqar:kv=4,length=32,n_test=1000,n_train=96000,n_val=1000,vocab=64"}
    assert "(transformer: dropout=0.0, num_heads=1, num_layers=2)" in " ".join(proc.stdout.split())
    paper = preset("mqar", "paper")
    settings = DiagnoseSettings("mqar", paper.points, params=(("vocab", 8192),),
                                kv_every=paper.kv_every)
    assert [settings.point(n)["kv"] for n in paper.points] == [4, 8, 16]


def test_the_sweeps_plan_one_dataset_per_point(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    where = ("tensorflow", "cpu")
    mqar = DiagnoseSettings("mqar", (64, 128), steps=2, batch_size=4, eval_samples=8,
                            params=(("vocab", 256),))
    plan = plan_diagnose(["lstm"], mqar, [0], store, where)
    # Zoology's grid: kv = length / 16
    assert [p.dataset for p in plan] == [
        "mqar:kv=4,length=64,n_test=8,n_train=8,n_val=8,vocab=256",
        "mqar:kv=8,length=128,n_test=8,n_train=8,n_val=8,vocab=256"]
    fixed = DiagnoseSettings("mqar", (64,), steps=2, batch_size=4, eval_samples=8,
                             params=(("kv", 2), ("vocab", 256)))
    assert plan_diagnose(["lstm"], fixed, [0], store, where)[0].dataset.startswith(
        "mqar:kv=2,length=64")
    control = DiagnoseSettings("selective_copy", (16,), steps=2, batch_size=4, eval_samples=8,
                               params=(("variable", False),))
    assert plan_diagnose(["lstm"], control, [0], store, where)[0].dataset == (
        "selective_copy:length=16,n_test=8,n_train=8,n_val=8,variable=false")
    induction = DiagnoseSettings("induction_heads", (16,), steps=2, batch_size=4,
                                 eval_samples=8, test_lengths=(32, 64), test_samples=5)
    cells = plan_diagnose(["lstm", "mamba"], induction, [0], store, where)
    assert all(p.job == {"extrapolate": [
        "induction_heads:length=32,n_test=5,n_train=1,n_val=1",
        "induction_heads:length=64,n_test=5,n_train=1,n_val=1"]} for p in cells)


def test_the_control_preset_shares_its_small_input_space_across_splits() -> None:
    control = preset("selective_copy", "control")
    cpu = preset("selective_copy")
    assert control.params == {**cpu.params, "variable": False} and control.steps == cpu.steps
    settings = DiagnoseSettings("selective_copy", control.points, 2, batch_size=1000,
                                params=tuple(sorted(control.params.items())))
    data = get_dataset(settings.dataset(32))  # 2,000 samples of 6^4 = 1,296 inputs
    arrays = data.arrays()
    assert data.sequences() == 6**4 and len(arrays["x_test"]) == 1000  # nothing dropped
    assert {r.tobytes() for r in arrays["x_test"]} & {r.tobytes() for r in arrays["x_train"]}
    assert "splits shared" in data.meta["preprocessing"]
    big = get_dataset("selective_copy:length=32,tokens=4,vocab=8,n_train=2000,n_val=100,"
                      "n_test=100")  # variable: 6^4 x C(36, 4) inputs, the splits disjoint
    x = big.arrays()
    assert not {r.tobytes() for r in x["x_test"]} & {r.tobytes() for r in x["x_train"]}
    assert "splits disjoint" in big.meta["preprocessing"]


def test_the_recall_presets_train_a_two_layer_transformer(tmp_path) -> None:
    one_head = {"num_layers": 2, "num_heads": 1, "dropout": 0.0}  # Zoology's attention
    for task in ("selective_copy", "mqar", "induction_heads"):
        for name in PRESETS[task]:
            assert preset(task, name).hparams == {
                "transformer": one_head if task == "mqar" else {"num_layers": 2}}
    settings = DiagnoseSettings("induction_heads", (16,), steps=2, batch_size=4, eval_samples=8,
                                test_lengths=(32,), hparams=(("transformer",
                                                              (("num_layers", 2),)),))
    store = Store(tmp_path / "s.sqlite")
    cells = plan_diagnose(["lstm", "transformer"], settings, [0, 1], store,
                          ("tensorflow", "cpu"))
    assert [(p.model, p.seed, p.hparams) for p in cells] == [
        ("lstm", 0, None), ("lstm", 1, None), ("transformer", 0, {"num_layers": 2}),
        ("transformer", 1, {"num_layers": 2})]
    assert all(p.job for p in cells)  # the test lengths reach the overridden cells too
    plain = plan_diagnose(["transformer"], replace(settings, hparams=()), [0], store,
                          ("tensorflow", "cpu"))
    assert plain[0].key != cells[2].key  # another configuration, another cell


@pytest.mark.parametrize(("argv", "message"), [
    (["--task", "mqar", "--lags", "64"],
     "--lags is not allowed for mqar; it sweeps lengths: use --lengths"),
    (["--task", "adding", "--lengths", "64"],
     "--lengths is not allowed for adding; it sweeps lags: use --lags"),
    (["--task", "mqar", "--lengths", "62,63"], "length=63 is not allowed; use an even length"),
    (["--task", "mqar", "--lengths", "64", "--param", "vocab=32"],
     "vocab=32 is not allowed with length=64; use vocab > length"),
    (["--task", "selective_copy", "--param", "colour=red"], "colour=red"),
    (["--task", "selective_copy", "--param", "length=5"],
     "--param length is not allowed for selective_copy; use one of tokens, vocab, variable"),
    (["--task", "selective_copy", "--param", "variable"],
     "--param 'variable' is not allowed; use KEY=VALUE"),
    (["--task", "adding", "--preset", "paper"], "--preset 'paper' is not allowed for adding"),
    (["--task", "mqar", "--test-lengths", "128"], "--test-lengths is not allowed for mqar"),
    (["--task", "selective_copy", "--steps", "0"], "--steps 0 is not allowed"),
    (["--task", "induction_heads", "--learning-rate", "0"], "--learning-rate 0.0 is not allowed"),
    (["--task", "induction_heads", "--test-lengths", "2"],
     "--test-lengths 2 is not allowed; use integers >= 4"),
])
def test_bad_recall_sweeps_are_one_line_errors(argv, message, tmp_path, capsys) -> None:
    assert main(["diagnose", *argv, "--store", str(tmp_path / "s.sqlite")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqzoo: error:") and message in err and "\n" not in err


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_model_takes_its_trained_weights_to_a_longer_length(name) -> None:
    short = zoo.TaskSpec("labeling", "tokens", seq_len=8, vocab_size=7, num_outputs=5)
    model = zoo.create_model(name, short)
    longer, grown = at_length(model, zoo.TaskSpec("labeling", "tokens", seq_len=20,
                                                  vocab_size=7, num_outputs=5))
    assert longer.output.shape[1] == 20
    assert grown == (["positions"] if name == "transformer" else [])
    x = np.random.default_rng(0).integers(1, 7, (2, 8)).astype("int32")
    if name not in ("bilstm", "transformer"):  # a causal model answers its 8 as before
        padded = np.concatenate([x, np.ones((2, 12), dtype="int32")], axis=1)
        np.testing.assert_allclose(longer.predict(padded, verbose=0)[:, :8],
                                   model.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_the_accuracy_at_a_longer_length_reads_the_labelled_positions() -> None:
    data = get_dataset("induction_heads:length=32,vocab=4,n_train=1,n_val=1,n_test=40")
    model = zoo.create_model("lstm", zoo.TaskSpec("labeling", "tokens", seq_len=16,
                                                   vocab_size=6, num_outputs=4))
    result = accuracy_at(model, data)
    assert result["n"] == 40 and 0 <= result["accuracy"] <= 1 and "note" not in result


def _row(model: str, dataset: str, seed: int, accuracy: float, extra: dict | None = None
         ) -> RunRecord:
    return RunRecord(model=model, dataset=dataset, seed=seed, suite="diagnose",
                     backend="tensorflow", device="cpu", hparams_hash="h" + model,
                     primary_metric="accuracy", accuracy=accuracy,
                     extra=json.dumps(extra or {}), started_at="2026-01-01T00:00:00+00:00")


def test_the_verdicts_follow_the_rows(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    copy, control = "selective_copy:length=64", "selective_copy:length=64,variable=false"
    induction = "induction_heads:length=64"
    far = {"mamba": 0.97, "transformer": 0.2}
    for seed in range(3):
        for model, score in (("mamba", 0.99), ("s4d", 0.2)):
            store.add(_row(model, copy, seed, score))
            store.add(_row(model, control, seed, 0.98))
        for model in ("mamba", "transformer"):
            store.add(_row(model, induction, seed, 0.99, {"extrapolation": {
                "4096": {"accuracy": far[model], "n": 10}}}))
        for length, scores in ((64, {"transformer": 0.99, "lstm": 0.9, "mamba": 0.8}),
                               (128, {"transformer": 0.98, "lstm": 0.5, "mamba": 0.6})):
            for model, score in scores.items():
                store.add(_row(model, f"mqar:kv={length // 16},length={length}", seed, score))
    rows = {r["probe"]: r for r in reproduction_rows(memory_tables(store.runs()))}
    assert {probe: r["verdict"] for probe, r in rows.items()} == {
        "selective_copy": "reproduced", "selective_copy (variable=false)": "reproduced",
        "induction_heads": "reproduced", "mqar": "reproduced"}
    assert ("mamba", "0.990 ± 0.000", "99.8 (Mamba, S6 layer)") in rows["selective_copy"][
        "scores"]
    assert ("of 2 recurrent models, 2 fall from length 64 to 128 (lstm, mamba), 0 hold, "
            "0 stay at the 1/kv level throughout") in rows["mqar"]["reason"]
    mqar_row = rows["mqar"]  # a claim about growing kv: every length, not only the longest
    assert mqar_row["ours"] == "lengths 64, 128"
    assert mqar_row["columns"] == ["model", "ours, length 64", "ours, length 128", "published"]
    assert ("lstm", "0.900 ± 0.000", "0.500 ± 0.000", "") in mqar_row["scores"]
    induction_row = rows["induction_heads"]  # beside its own length, the longest test length
    assert induction_row["columns"] == ["model", "ours, length 64",
                                        "ours, same weights at length 4096", "published"]
    assert induction_row["scores"] == [
        ("mamba", "0.990 ± 0.000", "0.970 ± 0.000", "100% at every test length"),
        ("transformer", "0.990 ± 0.000", "0.200 ± 0.000", "")]
    solved = Store(tmp_path / "solved.sqlite")  # the time-invariant model solves it as well
    for seed in range(3):
        solved.add(_row("mamba", copy, seed, 0.99))
        solved.add(_row("s4d", copy, seed, 0.95))
    verdict = reproduction_rows(memory_tables(solved.runs()))[0]
    assert verdict["verdict"] == "not reproduced"
    assert "the time-invariant s4d solves it too" in verdict["reason"]
    untrained = Store(tmp_path / "untrained.sqlite")  # a transformer that never learnt it
    for model, own in (("mamba", 0.99), ("transformer", 0.1)):
        untrained.add(_row(model, induction, 0, own, {"extrapolation": {
            "1024": {"accuracy": far[model], "n": 10}}}))
    verdict = reproduction_rows(memory_tables(untrained.runs()))[0]
    assert verdict["verdict"] == "not comparable"
    assert "transformer does not solve it at its own length" in verdict["reason"]
    unlearnt = Store(tmp_path / "unlearnt.sqlite")  # attention at 1/kv: the claim's first half
    steady = Store(tmp_path / "steady.sqlite")  # attention solves it, no recurrence falls
    for length, attention in ((16, 0.5), (32, 0.25)):
        for store_, score in ((unlearnt, attention), (steady, 0.99)):
            store_.add(_row("transformer", f"mqar:kv={length // 8},length={length}", 0, score))
            store_.add(_row("lstm", f"mqar:kv={length // 8},length={length}", 0, 0.3))
    verdict = reproduction_rows(memory_tables(unlearnt.runs()))[0]
    assert verdict["verdict"] == "not reproduced"
    assert "transformer 0.500, 0.250 over lengths 16, 32" in verdict["reason"]
    assert "the transformer does not solve every setting" in verdict["reason"]
    verdict = reproduction_rows(memory_tables(steady.runs()))[0]
    assert verdict["verdict"] == "not reproduced"
    assert "most recurrent models do not fall" in verdict["reason"]
    guessing = Store(tmp_path / "guessing.sqlite")  # halving with 1/kv is not falling
    for length, kv in ((16, 2), (32, 4)):
        for model, score in (("transformer", 0.99), ("gru", 1 / kv + 0.02), ("xlstm", 0.99),
                             ("hawk", 0.8 if kv == 2 else 0.27)):
            guessing.add(_row(model, f"mqar:kv={kv},length={length}", 0, score))
    verdict = reproduction_rows(memory_tables(guessing.runs()))[0]
    assert verdict["verdict"] == "not reproduced"
    assert ("of 3 recurrent models, 1 fall from length 16 to 32 (hawk), 1 hold (xlstm), 1 stay "
            "at the 1/kv level throughout, never recalling a key's value (gru)"
            ) in verdict["reason"]
    alone = Store(tmp_path / "alone.sqlite")
    alone.add(_row("mamba", copy, 0, 0.99))
    verdict = reproduction_rows(memory_tables(alone.runs()))[0]
    assert verdict["verdict"] == "not comparable" and "no rows of s4d" in verdict["reason"]


def test_the_default_sweep_takes_one_model_per_family(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.cli", "diagnose", "--task",
                           "selective_copy", "--dry-run", "--store", str(tmp_path / "s.sqlite")],
                          env=ENV, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not (tmp_path / "s.sqlite").exists()
    planned = {line.split()[1] for line in proc.stdout.splitlines()
               if line.strip().startswith("run ")}
    families = {zoo.get_model_info(m).family for m in zoo.list_models()}
    assert len(planned) == len(families) and "xlstm" in planned and "mlstm" not in planned
    assert "(transformer: num_layers=2)" in proc.stdout


def test_two_configurations_of_one_model_are_two_rows_never_one_average(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    copy = "selective_copy:length=64"
    for layers, score in ((1, 0.2), (2, 0.9)):
        for seed in range(2):
            store.add(replace(_row("transformer", copy, seed, score),
                              hparams=json.dumps({"num_layers": layers, "num_heads": 4})))
    store.add(_row("mamba", copy, 0, 0.99))
    scores = memory_tables(store.runs())[0].scores.set_index("model")["mean"].to_dict()
    assert scores == {"mamba": 0.99, "transformer (num_layers=1)": 0.2,
                      "transformer (num_layers=2)": 0.9}


def _seqzoo(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.cli", *args], env=ENV,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]


def test_a_tiny_sweep_of_each_recall_probe_reaches_the_reproduction_table(tmp_path) -> None:
    store, out = tmp_path / "s.sqlite", tmp_path / "report"
    common = ["--seeds", "0", "--steps", "2", "--batch-size", "4", "--eval-samples", "8",
              "--store", str(store), "--workers", "2"]
    _seqzoo("diagnose", "--task", "selective_copy", "--lengths", "8", "--param", "tokens=2",
            "--models", "mamba,s4d", *common)
    _seqzoo("diagnose", "--task", "mqar", "--lengths", "16,32", "--param", "vocab=64",
            "--models", "transformer,lstm", *common)
    _seqzoo("diagnose", "--task", "induction_heads", "--lengths", "8", "--test-lengths", "16",
            "--test-samples", "4", "--models", "mamba,transformer", *common)
    runs = Store(store).runs()
    assert len(runs) == 8 and (runs.status == "ok").all(), runs[["model", "error"]]
    extrapolated = runs[runs.dataset.str.startswith("induction_heads")]
    for extra in extrapolated.extra:
        assert json.loads(extra)["extrapolation"]["16"]["n"] == 4
    main(["report", "--store", str(store), "--out", str(out)])
    text = (out / "leaderboard.md").read_text()
    for heading in ("### selective_copy (tokens=2, vocab=8): accuracy vs length",
                    "### mqar (vocab=64): accuracy vs length",
                    "### induction_heads (vocab=16): the trained weights at longer lengths",
                    "### Reproduction", "#### selective_copy (tokens=2, vocab=8):",
                    "#### mqar (vocab=64):", "#### induction_heads (vocab=16):",
                    "**Verdict: "):
        assert heading in text, heading
    assert "positions beyond 8 never trained" in text
    assert (out / "reproduction.csv").exists()
    assert "<h3>Reproduction</h3>" in (out / "leaderboard.html").read_text()
