"""The report's "Backend parity" section, from the ``parity`` suite run once per Keras backend.

Is a Keras model the same model on TensorFlow, JAX and PyTorch? Per dataset and model: the
primary metric's mean ± 95% interval over seeds on each backend, the Welch p-value between the
two backends whose means are furthest apart, and the median train samples/s on each backend.
A p-value under 0.05 is a gap to explain (initialisers, RNG streams, kernels, masking), not
noise.
"""

from __future__ import annotations

import html
import itertools

import pandas as pd

from results.leaderboard import METRICS, ci_text
from results.stats import ALPHA, mean_ci, welch_p
from results.tables import html_table, markdown_table

SUITE = "parity"
NOTE = ("The parity suite (the quick suite's grid and budgets, 3 seeds) on each backend, the "
        "same machine. Quality: mean ± 95% t-interval over seeds. Largest gap: the two backends "
        "whose means are furthest apart, with the Welch t-test's p-value; p < 0.05 (marked *) is "
        "a significant difference. Marked †: one of the two backends scored the same value on "
        "every seed, typically a collapse to one constant prediction such as the majority "
        "class; the t-test assumes spread, so its p-value overstates the evidence there, and "
        "only more seeds can tell a real gap from a seed lottery.")


def parity_frame(runs: pd.DataFrame) -> pd.DataFrame | None:
    """One row per (dataset, model): per backend mean, half-width, n and samples/s, and the
    largest gap with its p-value; ``None`` without ok parity rows on two backends."""
    rows = runs[(runs["suite"] == SUITE) & (runs["status"] == "ok")
                & ~runs["is_baseline"].astype(bool)]
    backends = sorted(rows["backend"].unique())
    if len(backends) < 2:
        return None
    found = []
    for (dataset, model), group in rows.groupby(["dataset", "model"], sort=True):
        metric = group["primary_metric"].iloc[0]
        scores = {b: group.loc[group["backend"] == b, metric].astype(float).tolist()
                  for b in backends}
        row = {"dataset": dataset, "model": model, "metric": metric}
        for backend in backends:
            mean, half, n = mean_ci(scores[backend])
            speed = group.loc[group["backend"] == backend, "train_samples_per_s"]
            row |= {f"{backend}_mean": mean, f"{backend}_ci95": half, f"{backend}_n": n,
                    f"{backend}_samples_per_s": speed.astype(float).median()}
        present = [b for b in backends if scores[b]]
        pairs = list(itertools.combinations(present, 2))
        if pairs:
            a, b = max(pairs, key=lambda p: abs(row[f"{p[0]}_mean"] - row[f"{p[1]}_mean"]))
            row |= {"gap": abs(row[f"{a}_mean"] - row[f"{b}_mean"]), "gap_between": f"{a}-{b}",
                    "gap_p": welch_p(scores[a], scores[b]),
                    "gap_constant": ",".join(x for x in (a, b) if _constant(scores[x]))}
        found.append(row)
    return pd.DataFrame(found)


def _constant(scores: list[float]) -> bool:
    """Whether two or more seeds all scored exactly the same."""
    return len(scores) > 1 and len(set(scores)) == 1


def frame_backends(frame: pd.DataFrame) -> list[str]:
    """The backends a :func:`parity_frame` compares, sorted (its ``<backend>_mean`` columns)."""
    return sorted(c[: -len("_mean")] for c in frame.columns if c.endswith("_mean"))


def findings(frame: pd.DataFrame) -> str:
    """What the parity table shows, in words: the (dataset, model) pairs whose backends differ
    significantly, each with its gap, against the number the test finds by chance alone; and
    each backend's median train speed relative to TensorFlow (or the first backend)."""
    backends = frame_backends(frame)
    tested = frame.dropna(subset=["gap_p"]) if "gap_p" in frame else frame.iloc[:0]
    significant = tested[tested["gap_p"] < ALPHA].sort_values("gap_p")
    text = (f"{len(significant)} of {len(tested)} (dataset, model) pairs differ between "
            f"backends at p < {ALPHA:g}; chance alone would give about "
            f"{ALPHA * len(tested):.1f}.")
    if len(significant):
        named = [f"{r['model']} on {r['dataset']} ({r['gap_between']}, {r['metric']} "
                 f"{r['gap']:.{METRICS[r['metric']][1]}f}, p = {r['gap_p']:.3f}"
                 f"{_constant_text(r)})" for r in significant.to_dict("records")]
        text += f" Significant: {'; '.join(named)}."
    base = "tensorflow" if "tensorflow" in backends else backends[0]
    ratios = []
    for backend in (b for b in backends if b != base):
        ratio = (frame[f"{backend}_samples_per_s"] / frame[f"{base}_samples_per_s"]).dropna()
        if len(ratio):
            ratios.append(f"{backend} {ratio.median():.2f}x (from {ratio.min():.2f}x to "
                          f"{ratio.max():.2f}x)")
    if ratios:
        text += (f" Median train samples/s relative to {base} over the pairs: "
                 f"{', '.join(ratios)}.")
    return text


def _constant_text(row: dict) -> str:
    """``", †: every torch seed scores 0.5776"`` for a pair with a constant side, else ``""``."""
    constant = row.get("gap_constant")
    sides = constant.split(",") if isinstance(constant, str) and constant else []
    decimals = METRICS[row["metric"]][1]
    return "".join(f", †: every {b} seed scores {row[f'{b}_mean']:.{decimals}f}" for b in sides)


def table(frame: pd.DataFrame) -> tuple[list[str], list[list]]:
    """Header and rows: dataset, model, quality per backend, largest gap, samples/s per
    backend."""
    backends = frame_backends(frame)
    header = ["dataset", "model", *backends, "largest gap", "p",
              *(f"{b} train/s" for b in backends)]
    rows = []
    for r in frame.to_dict("records"):
        decimals = METRICS[r["metric"]][1]
        gap, p = r.get("gap"), r.get("gap_p")
        rows.append([r["dataset"], r["model"],
                     *(ci_text(r[f"{b}_mean"], r[f"{b}_ci95"], decimals) for b in backends),
                     "" if gap is None or pd.isna(gap) else
                     f"{gap:.{decimals}f} ({r['gap_between']})",
                     "" if p is None or pd.isna(p) else
                     f"{p:.3f}{' *' if p < ALPHA else ''}{' †' if r.get('gap_constant') else ''}",
                     *("" if pd.isna(r[f"{b}_samples_per_s"]) else
                       f"{r[f'{b}_samples_per_s']:,.0f}" for b in backends)])
    return header, rows


def markdown(frame: pd.DataFrame) -> list[str]:
    """The section as Markdown lines."""
    header, rows = table(frame)
    return ["", "## Backend parity", "", NOTE, "", findings(frame), "",
            markdown_table(header, rows)]


def html_section(frame: pd.DataFrame) -> str:
    """The section as escaped HTML."""
    header, rows = table(frame)
    return (f"<h2>Backend parity</h2><p class='note'>{html.escape(NOTE)}</p>"
            f"<p>{html.escape(findings(frame))}</p>{html_table(header, rows)}")
