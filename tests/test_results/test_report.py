"""Leaderboard statistics, golden Markdown/CSV, HTML escaping, baselines and empty stores.

Set SEQZOO_UPDATE_GOLDEN=1 to rewrite the golden files after an intended format change.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from results.leaderboard import failures, leaderboards, rank_text, summary
from results.record import RunRecord
from results.report import ReportError, write_report
from results.stats import mean_ci, rank_with_ties, welch_p
from results.store import Store

GOLDEN = Path(__file__).parent / "golden"
SCORES = {"lstm": [0.80, 0.82, 0.81], "gru": [0.79, 0.83, 0.80], "rnn": [0.60, 0.62, 0.61]}


def test_mean_ci_matches_scipy() -> None:
    values = [0.71, 0.74, 0.69, 0.73]
    mean, half, n = mean_ci(values)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values),
                                 scale=stats.sem(values))
    assert n == 4 and mean == pytest.approx(np.mean(values))
    assert (mean - half, mean + half) == pytest.approx((low, high))


def test_mean_ci_of_one_value_has_no_interval() -> None:
    mean, half, n = mean_ci([0.5])
    assert (mean, n) == (0.5, 1) and math.isnan(half)


def test_welch_matches_scipy() -> None:
    a, b = [0.80, 0.82, 0.81], [0.79, 0.83, 0.80]
    assert welch_p(a, b) == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    assert welch_p([1, 1], [1, 1]) == 1.0 and welch_p([1, 1], [2, 2]) == 0.0
    assert math.isnan(welch_p([1.0], [1.0, 2.0]))


def test_ranks_tie_when_not_significantly_different() -> None:
    ranks, tied = rank_with_ties(list(SCORES.values()), higher_is_better=True)
    assert ranks == [1, 2, 3] and tied == [True, True, False]
    # lower is better flips the order; the clear loser is never tied
    ranks, tied = rank_with_ties([[3.0, 3.1, 3.2], [2.0, 2.1, 2.2]], higher_is_better=False)
    assert ranks == [2, 1] and tied == [False, False]


def test_ranks_follow_the_means_when_a_noisy_model_ties_and_a_precise_one_does_not() -> None:
    """japanese_vowels in the reference: a precise 0.972 differs from the best 0.978, a noisy
    0.921 does not; the precise one must still rank above the noisy one."""
    best, precise, noisy = [0.977, 0.978, 0.979], [0.971, 0.972, 0.973], [0.89, 0.95, 0.92]
    ranks, tied = rank_with_ties([noisy, best, precise], higher_is_better=True)
    assert ranks == [3, 1, 2] and tied == [True, True, False]
    assert [rank_text(r, t) for r, t in zip(ranks, tied, strict=True)] == ["3 (=1)", "1=", "2"]
    ranks, _ = rank_with_ties([[1.0, 1.0], [2.0, 2.0], [1.0, 1.0]], higher_is_better=False)
    assert ranks == [1, 3, 1]  # equal means share a rank


def _fill(store: Store, model_ids: dict[str, list[float]] | None = None) -> None:
    store.add_dataset("mr_polarity", "f" * 64, {"source": "Rotten Tomatoes",
                                                "sizes": {"train": 10, "val": 2, "test": 2}})
    for model, scores in (model_ids or SCORES).items():
        for seed, score in enumerate(scores):
            store.add(RunRecord(
                model=model, dataset="mr_polarity", seed=seed, suite="quick",
                backend="tensorflow", device="cpu", hparams_hash="h" + model,
                primary_metric="accuracy", accuracy=score, macro_f1=score - 0.01,
                params=123_456, train_samples_per_s=1000.0 + seed, latency_p50_ms=2.5,
                peak_host_mib=900.0, kernel="generic", seqzoo_version="0.1.0",
                keras_version="3.15.1", backend_version="tensorflow 2.21.0",
                python_version="3.11.7", device_name="test cpu", git_revision="abc123",
                dataset_fingerprint="f" * 64, started_at="2026-01-01T00:00:00+00:00"))
    for seed in range(3):
        store.add(RunRecord(
            model="majority", dataset="mr_polarity", seed=seed, suite="quick", backend="sklearn",
            device="cpu", hparams_hash="hmaj", primary_metric="accuracy", accuracy=0.578,
            macro_f1=0.366, params=1, latency_p50_ms=0.01,
            peak_host_mib=900.0, kernel="none", is_baseline=True, seqzoo_version="0.1.0",
            keras_version="3.15.1", backend_version="scikit-learn 1.9.1",
            python_version="3.11.7", device_name="test cpu", git_revision="abc123",
            dataset_fingerprint="f" * 64, started_at="2026-01-01T00:00:00+00:00"))
    store.add(RunRecord(
        model="transformer", dataset="mr_polarity", seed=0, suite="quick", backend="tensorflow",
        device="cpu", hparams_hash="htr", status="failed",
        error="ValueError: num_heads=3 must divide d_model=64", seqzoo_version="0.1.0",
        keras_version="3.15.1", backend_version="tensorflow 2.21.0", python_version="3.11.7",
        device_name="test cpu", git_revision="abc123", started_at="2026-01-01T00:00:00+00:00"))


def test_golden_markdown_and_csv(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    _fill(store)
    md, csv, _ = write_report(store, tmp_path / "out")
    for path in (md, csv):
        golden = GOLDEN / path.name
        if os.environ.get("SEQZOO_UPDATE_GOLDEN"):
            golden.parent.mkdir(exist_ok=True)
            golden.write_text(path.read_text())
        assert path.read_text() == golden.read_text(), f"{path.name} differs from {golden}"


def test_baselines_are_marked_rows_and_failures_listed(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    _fill(store)
    md, csv, html = (p.read_text() for p in write_report(store, tmp_path / "out"))
    assert "| majority (baseline) | 0.5780 ± 0.0000 | 3 |" in md
    assert ",majority,True," in csv
    assert "num_heads=3 must divide d_model=64" in md and "failed" in html
    board = leaderboards(store.runs())[0]
    assert board.entries["model"].tolist() == ["lstm", "gru", "rnn", "majority"]
    assert summary([board])["model"].iloc[0] == "lstm"


def test_a_failure_since_rerun_ok_says_when_and_others_stay_open(tmp_path) -> None:
    """The reference's xLSTM lag-400 cells failed, then finished ok after the harness fix:
    the report keeps the failures but says they were rerun ok. An ok run of another seed, or
    an ok run before the failure, does not close a failure."""
    store = Store(tmp_path / "s.sqlite")
    _fill(store)

    def add(seed: int, status: str, started_at: str) -> None:
        store.add(RunRecord(model="gru", dataset="mr_polarity", seed=seed, suite="quick",
                            backend="tensorflow", device="cpu", hparams_hash="hgru2",
                            primary_metric="accuracy", status=status,
                            accuracy=0.7 if status == "ok" else None,
                            error="" if status == "ok" else "AlreadyExistsError: clash",
                            started_at=started_at))

    add(0, "failed", "2026-12-03T02:02:57+00:00")
    add(0, "ok", "2026-12-03T04:00:00+00:00")  # the same cell, fixed
    add(1, "failed", "2026-12-03T02:03:13+00:00")
    add(2, "ok", "2026-12-02T00:00:00+00:00")  # ok first, then failed: still open
    add(2, "failed", "2026-12-03T02:03:26+00:00")
    fails = failures(store.runs()).set_index(["model", "seed"])
    assert fails.loc[("gru", 0), "rerun ok"] == "2026-12-03T04:00:00+00:00"
    assert fails.loc[("gru", 1), "rerun ok"] == ""
    assert fails.loc[("gru", 2), "rerun ok"] == ""
    assert fails.loc[("transformer", 0), "rerun ok"] == ""
    md = write_report(store, tmp_path / "out")[0].read_text()
    assert ("| AlreadyExistsError: clash | 2026-12-03T02:02:57+00:00 "
            "| 2026-12-03T04:00:00+00:00 |") in md


def test_html_is_self_contained_and_escaped(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    evil = "<script>alert('id')</script>"
    _fill(store, {evil: [0.7, 0.71, 0.72], "lstm": [0.8, 0.81, 0.82]})
    store.add(RunRecord(model="gru", dataset="mr_polarity", seed=0, suite="quick",
                        backend="tensorflow", device="cpu", hparams_hash="x", status="failed",
                        error="<img src=x onerror=alert(1)>"))
    html = write_report(store, tmp_path / "out")[2].read_text()
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#x27;id&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count("src='data:image/png;base64,") == 1
    assert "http://" not in html and "https://" not in html


def test_a_model_with_one_seed_so_far_is_plotted_without_an_interval(tmp_path) -> None:
    """A grid stopped early leaves a model with one seed: no interval yet, still a point."""
    store = Store(tmp_path / "s.sqlite")
    _fill(store, {"gru": [0.75]})
    html = write_report(store, tmp_path / "out")[2].read_text()
    assert html.count("src='data:image/png;base64,") == 1


def test_empty_store_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ReportError, match="has no runs; run `seqzoo run --suite quick` first"):
        write_report(Store(tmp_path / "empty.sqlite"), tmp_path / "out")
    store = Store(tmp_path / "s.sqlite")
    _fill(store)
    with pytest.raises(ReportError, match="has no runs for suite standard"):
        write_report(store, tmp_path / "out", suite="standard")


def test_every_line_of_a_plot_has_its_own_style() -> None:
    from results.plots import line_styles

    styles = [tuple(sorted(s.items())) for s in line_styles(25)]
    assert len(set(styles)) == 25  # the 11th model no longer repeats the 1st's colour and line
