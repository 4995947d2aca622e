"""``seqzoo diagnose`` and ``seqzoo scale``: cells through the workers, rows in the store, the
report's Memory length and Scaling sections; scale cells in-process for every model; bad
input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

import zoo
from benchmarks.cli import main
from benchmarks.data import get_dataset
from benchmarks.grids.scale import ScaleSettings, measure, width_hparams
from results.scaling import Scaling, exponent_rows, findings, loglog_slope, scaling
from results.store import RunRecord, Store

ENV = {**os.environ, "COLUMNS": "120", "TF_CPP_MIN_LOG_LEVEL": "2"}
TINY = ScaleSettings(lengths=(8, 16), batch=4, width=8, steps=1, time_cap=600)


def _settings(sweep: ScaleSettings) -> dict:
    return {**sweep.__dict__, "lengths": list(sweep.lengths)}


@pytest.mark.parametrize("name", zoo.list_models())
def test_a_scale_cell_measures_every_model(name) -> None:
    data = get_dataset(TINY.dataset(16))
    record = measure(name, data, 0, _settings(TINY), "cpu", width_hparams(name, TINY.width))
    assert record.status == "ok", record.error
    assert record.suite == "scale" and record.dataset == data.id
    assert record.train_samples_per_s > 0 and record.latency_p50_ms > 0
    assert record.flops_per_sample > 0 and record.peak_host_mib > 0
    assert '"length": 16' in record.extra and '"step_ms"' in record.extra


def test_a_length_over_the_time_cap_is_a_timeout_row() -> None:
    sweep = ScaleSettings(lengths=(16,), batch=4, width=8, steps=1, time_cap=1e-6)
    record = measure("lstm", get_dataset(sweep.dataset(16)), 0, _settings(sweep), "cpu",
                     {"units": 8})
    assert record.status == "timeout" and "passed --time-cap" in record.error


def test_loglog_slopes_recover_known_exponents() -> None:
    lengths = [64, 128, 256, 512]
    slope, half = loglog_slope(lengths, [3 * t ** 2 for t in lengths])
    assert slope == pytest.approx(2.0) and half == pytest.approx(0.0, abs=1e-6)
    slope, half = loglog_slope(lengths, [t * (1.1 if i % 2 else 0.9)
                                         for i, t in enumerate(lengths)])
    assert 0.8 < slope < 1.2 and half > 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["diagnose", "--task", "copying"], "--task 'copying' is not allowed"),
        (["diagnose", "--task", "adding", "--lags", "1,50"], "--lags 1,50 is not allowed"),
        (["diagnose", "--task", "adding", "--steps", "0"], "--steps 0 is not allowed"),
        (["diagnose", "--task", "adding", "--models", "lstn"], "unknown model 'lstn'"),
        (["scale", "--lengths", "64,1"], "--lengths 64,1 is not allowed"),
        (["scale", "--batch", "0"], "--batch 0 is not allowed"),
        (["scale", "--time-cap", "0"], "--time-cap 0.0 is not allowed"),
        (["scale", "--models", "lstn"], "unknown model 'lstn'"),
    ],
)
def test_bad_input_is_one_line(argv, message, tmp_path, capsys) -> None:
    assert main([*argv, "--store", str(tmp_path / "s.sqlite")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqzoo: error:") and message in err and "\n" not in err


def _seqzoo(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.cli", *args], env=ENV,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.slow  # ~2 minutes; the default run sees both sweeps and their report sections on
# JAX (test_backends_cli.py)
def test_diagnose_and_scale_write_rows_and_the_report_has_both_sections(tmp_path) -> None:
    store, out = tmp_path / "s.sqlite", tmp_path / "report"
    _seqzoo("diagnose", "--task", "adding", "--lags", "8,16", "--models", "mingru",
            "--seeds", "0", "--steps", "3", "--eval-samples", "32", "--store", str(store),
            "--workers", "2")
    _seqzoo("scale", "--models", "transformer", "--lengths", "8,16", "--batch", "4",
            "--width", "8", "--steps", "1", "--store", str(store), "--workers", "2")
    runs = Store(store).runs()
    diagnose, scale = runs[runs.suite == "diagnose"], runs[runs.suite == "scale"]
    assert len(diagnose) == 2 and (diagnose.status == "ok").all()
    assert len(scale) == 2 and set(scale.model) == {"transformer"}
    assert (scale.status == "ok").all()
    flows = diagnose[diagnose.extra.str.contains("gradient_flow")]
    assert set(flows.model) == {"mingru"} and set(flows.dataset) == {
        "adding:lag=16,n_test=32,n_train=96,n_val=32"}
    main(["report", "--store", str(store), "--out", str(out)])
    text = (out / "leaderboard.md").read_text()
    for heading in ("## Memory length", "### adding: mse vs lag", "### Gradient flow",
                    "## Scaling", "### Exponents and largest T", "memory horizon",
                    "Threshold: mse < 0.05"):
        assert heading in text, heading
    page = (out / "leaderboard.html").read_text()
    assert page.count("data:image/png;base64,") >= 4  # lag, gradient flow, time, memory
    assert (out / "memory_length.csv").exists() and (out / "scaling.csv").exists()


def test_decades_lost_says_where_the_gradient_underflows() -> None:
    import numpy as np

    from results.memory import _decades_lost

    assert _decades_lost(np.array([1e-4, 1e-2, 1.0])) == "4.0"
    assert _decades_lost(np.array([0.0, 0.0, 1e-30, 1e-3, 1.0])) == "> 30.0 (underflows to 0)"
    assert _decades_lost(np.array([0.0, 0.0])) == ""


def test_the_exponents_table_leaves_blank_what_did_not_happen(tmp_path) -> None:
    """A model that stopped beside one that did not: no "nan", no "4096.0" in the table."""
    store = Store(tmp_path / "s.sqlite")
    for model, length, status in (("lru", 64, "ok"), ("lru", 128, "ok"), ("slstm", 64, "ok"),
                                  ("slstm", 128, "timeout"), ("mlstm", 64, "oom")):
        store.add(RunRecord(model=model, dataset=f"adding:lag={length}", seed=0, suite="scale",
                            backend="tensorflow", device="cpu", hparams_hash="h" + model,
                            status=status, started_at="2026-01-01T00:00:00+00:00",
                            extra=json.dumps({"step_ms": float(length)} if status == "ok"
                                             else {})))
    _, rows = exponent_rows(scaling(store.runs()))
    by_model = {row[0]: row[3:] for row in rows}
    assert by_model == {"lru": [2, 128, ""], "mlstm": [0, "none", "64 (oom)"],
                        "slstm": [1, 64, "128 (timeout)"]}


def test_scaling_findings_sort_each_exponent_by_its_interval() -> None:
    def row(model: str, time: tuple[float, float], memory: tuple[float, float],
            stopped: str | None = None) -> dict:
        return {"model": model, "time_slope": time[0], "time_ci": time[1],
                "memory_slope": memory[0], "memory_ci": memory[1], "stopped_at": stopped}

    exponents = pd.DataFrame([row("lstm", (1.07, 0.19), (0.27, 0.13)),
                              row("transformer", (1.78, 0.14), (1.14, 0.38)),
                              row("mingru", (0.93, 0.09), (0.44, 0.13)),
                              row("slstm", (1.38, 0.16), (float("nan"), float("nan")),
                                  "4096 (timeout)")])
    points = pd.DataFrame({"model": ["lstm", "lstm", "slstm", "slstm"],
                           "length": [64, 4096, 64, 4096],
                           "status": ["ok", "ok", "ok", "timeout"]})
    text = findings(Scaling(points, exponents))
    assert text == (
        "Step time: grows faster than linearly in T (the whole interval above 1) for "
        "transformer (1.78 ± 0.14), slstm (1.38 ± 0.16); grows linearly (the interval holds 1) "
        "for lstm (1.07 ± 0.19), mingru (0.93 ± 0.09). Memory growth: grows linearly "
        "(the interval holds 1) for transformer (1.14 ± 0.38); grows slower than linearly over "
        "this range (a fixed cost still dominates) for mingru (0.44 ± 0.13), lstm "
        "(0.27 ± 0.13). "
        "Stopped before T = 4096: slstm (timeout at T = 4096).")
