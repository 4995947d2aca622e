"""The report's Memory length section, from ``seqzoo diagnose`` rows (suite ``diagnose``).

Per probe: the score at each lag per model (mean ± 95% t-interval over seeds), each model's
memory horizon (the largest lag whose mean score meets the threshold), the no-memory baseline,
and the gradient-flow curves stored by the largest-lag adding runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from results.leaderboard import ci_text, setup_labels
from results.stats import mean_ci

SUITE = "diagnose"
#: per probe: (metric, threshold, higher is better, no-memory score or None for 1/K, baseline)
PROBES = {
    "adding": ("mse", 0.05, False, 1 / 6, "always predict 1: MSE 1/6 = 0.167"),
    "delayed_recall": ("accuracy", 0.9, True, None, "chance: accuracy 1/K"),
}


@dataclass
class MemoryTable:
    """One probe's results: scores per (model, lag), horizons, gradient-flow curves."""

    task: str
    metric: str
    threshold: float
    higher: bool
    baseline: str
    scores: pd.DataFrame  # model, lag, mean, ci95, n
    horizons: dict[str, int | None]
    gradients: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    @property
    def lags(self) -> list[int]:
        """The lags measured, ascending."""
        return sorted(self.scores["lag"].unique())

    def passes(self, value: float) -> bool:
        """Whether a mean score meets the horizon threshold."""
        return value >= self.threshold if self.higher else value < self.threshold

    def threshold_text(self) -> str:
        """e.g. ``mse < 0.05``."""
        return f"{self.metric} {'>=' if self.higher else '<'} {self.threshold:g}"


def _probe(dataset: str) -> tuple[str, dict[str, str]]:
    name, _, tail = dataset.partition(":")
    return name, dict(item.split("=", 1) for item in tail.split(",") if "=" in item)


def _score(row: pd.Series, metric: str) -> float:
    if metric == "mse":
        return row["rmse"] ** 2 if pd.notna(row["rmse"]) else math.nan
    return row[metric]


def memory_tables(runs: pd.DataFrame) -> list[MemoryTable]:
    """A :class:`MemoryTable` per probe in the ``diagnose`` rows (``[]`` if there are none)."""
    rows = runs[(runs["suite"] == SUITE) & (runs["status"] == "ok")].copy()
    if rows.empty:
        return []
    rows["model"] = setup_labels(rows)
    parsed = rows["dataset"].map(_probe)
    rows["task"], rows["lag"] = parsed.map(lambda p: p[0]), parsed.map(
        lambda p: int(p[1].get("lag", 100)))
    tables = []
    for task, group in rows.groupby("task", sort=True):
        if task not in PROBES:
            continue
        metric, threshold, higher, _, baseline = PROBES[task]
        entries = []
        for (model, lag), cell in group.groupby(["model", "lag"], sort=True):
            mean, half, n = mean_ci([_score(r, metric) for _, r in cell.iterrows()])
            entries.append({"model": model, "lag": lag, "mean": mean, "ci95": half, "n": n})
        scores = pd.DataFrame(entries)
        table = MemoryTable(task, metric, threshold, higher, baseline, scores, {})
        for model, curve in scores.groupby("model", sort=False):
            good = [lag for lag, m in zip(curve["lag"], curve["mean"], strict=True)
                    if not math.isnan(m) and table.passes(m)]
            table.horizons[model] = max(good) if good else None
        for _, r in group.sort_values("seed").iterrows():
            flow = json.loads(r["extra"] or "{}").get("gradient_flow")
            if flow and r["model"] not in table.gradients:
                table.gradients[r["model"]] = flow
        tables.append(table)
    return tables


def score_rows(table: MemoryTable) -> tuple[list[str], list[list]]:
    """Header and rows: per model its score at each lag and its memory horizon."""
    decimals = 3
    header = ["model", *(f"lag {lag}" for lag in table.lags), "memory horizon"]
    rows = []
    for model in dict.fromkeys(table.scores["model"]):
        cells = table.scores[table.scores["model"] == model].set_index("lag")
        values = [ci_text(cells.loc[lag, "mean"], cells.loc[lag, "ci95"], decimals)
                  if lag in cells.index else "" for lag in table.lags]
        horizon = table.horizons.get(model)
        rows.append([model, *values, f"{horizon}" if horizon else "< " + str(table.lags[0])])
    return header, rows


def gradient_rows(table: MemoryTable) -> tuple[list[str], list[list]]:
    """Per model: ``||dL/dx_t||`` next to the output and farthest from it, at init and after
    training, and how many decades it falls over the sequence."""
    header = ["model", "init: nearest", "init: farthest", "init: decades lost",
              "trained: nearest", "trained: farthest", "trained: decades lost"]
    rows = []
    for model, flow in table.gradients.items():
        row: list = [model]
        for phase in ("init", "trained"):
            curve = np.asarray(flow.get(phase, []), dtype=float)
            if len(curve) == 0:
                row += ["", "", ""]
                continue
            near, far = curve[-1], curve[0]
            row += [f"{near:.2e}", f"{far:.2e}", _decades_lost(curve)]
        rows.append(row)
    return header, rows


def _decades_lost(curve: np.ndarray) -> str:
    """``log10(nearest / farthest)``; where the gradient underflows to exactly 0 on the way,
    a lower bound from the smallest value above 0, marked as such."""
    near, far = curve[-1], curve[0]
    if near <= 0:
        return ""
    if far > 0:
        return f"{math.log10(near / far):.1f}"
    positive = curve[curve > 0]
    return f"> {math.log10(near / positive.min()):.1f} (underflows to 0)"


def csv_frame(tables: list[MemoryTable]) -> pd.DataFrame:
    """Every (probe, model, lag) score with its threshold and horizon, for memory_length.csv."""
    frames = []
    for t in tables:
        frame = t.scores.copy()
        frame.insert(0, "metric", t.metric)
        frame.insert(0, "task", t.task)
        frame["threshold"] = t.threshold_text()
        frame["memory_horizon"] = frame["model"].map(t.horizons)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


LEGEND = ("Every model trained the same number of optimizer steps at every lag, on the same "
          "seeds; scores are test means ± the 95% t-interval over seeds. The memory horizon "
          "is the largest lag whose mean score meets the threshold. Gradient flow: the batch "
          "mean of ||d loss / d x_t|| at each input step, at the largest adding lag, at "
          "initialisation and after training.")


def markdown(tables: list[MemoryTable]) -> list[str]:
    """The section's Markdown lines."""
    from results.tables import markdown_table

    parts = ["", "## Memory length", "", LEGEND]
    for t in tables:
        header, rows = score_rows(t)
        parts += ["", f"### {t.task}: {t.metric} vs lag", "",
                  f"Threshold: {t.threshold_text()}. No-memory baseline: {t.baseline}.", "",
                  markdown_table(header, rows)]
        if t.gradients:
            header, rows = gradient_rows(t)
            parts += ["", f"### Gradient flow ({t.task}, lag {t.lags[-1]})", "",
                      markdown_table(header, rows)]
    return parts


def html(tables: list[MemoryTable]) -> str:
    """The section's HTML, with the score-vs-lag and gradient-flow plots embedded."""
    from html import escape

    from results.plots import gradient_flow_png, score_vs_lag_png
    from results.tables import html_table

    parts = [f"<h2>Memory length</h2><p>{escape(LEGEND)}</p>"]
    for t in tables:
        header, rows = score_rows(t)
        parts.append(
            f"<h3>{escape(t.task)}: {escape(t.metric)} vs lag</h3><p>Threshold: "
            f"{escape(t.threshold_text())}. No-memory baseline: {escape(t.baseline)}.</p>"
            f"{html_table(header, rows)}<img alt='{escape(t.task)}: {escape(t.metric)} vs lag' "
            f"src='data:image/png;base64,{score_vs_lag_png(t)}'>")
        if t.gradients:
            header, rows = gradient_rows(t)
            parts.append(
                f"<h3>Gradient flow ({escape(t.task)}, lag {t.lags[-1]})</h3>"
                f"{html_table(header, rows)}<img alt='gradient norm vs distance to the output' "
                f"src='data:image/png;base64,{gradient_flow_png(t.gradients)}'>")
    return "".join(parts)
