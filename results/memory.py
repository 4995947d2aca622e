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
    "selective_copy": ("accuracy", 0.9, True, None, "chance: accuracy 1/(A-2)"),
    "mqar": ("accuracy", 0.9, True, None,
             "chance: accuracy 2/V; 1/kv for answering with any value in the context"),
    "induction_heads": ("accuracy", 0.9, True, None, "chance: accuracy 1/vocab"),
}
#: what a probe's horizon does not measure, said beside its table and findings
CAVEATS = {
    "delayed_recall": "A bidirectional model's backward pass reads the symbol at step 0 last, "
                      "so its horizon here is not a memory length.",
}
#: the dataset parameter each probe's sweep varies (the table's columns)
SWEEPS = {"adding": "lag", "delayed_recall": "lag", "selective_copy": "length",
          "mqar": "length", "induction_heads": "length"}
#: how far above MQAR's 1/kv level a mean score must be to show a key's value was recalled
GUESS_MARGIN = 0.05


@dataclass
class MemoryTable:
    """One probe's results: scores per (model, point of the sweep; the column ``lag`` holds
    the point, a lag or a length as ``sweep`` says), horizons, gradient-flow curves. ``task``
    is the probe, with any fixed parameters that set this sweep apart (e.g.
    ``selective_copy (variable=false)``)."""

    task: str
    metric: str
    threshold: float
    higher: bool
    baseline: str
    scores: pd.DataFrame  # model, lag, mean, ci95, n
    horizons: dict[str, int | None]
    gradients: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    sweep: str = "lag"
    #: the trained weights at other lengths: model, trained, length, mean, ci95, n, note
    extrapolation: pd.DataFrame = field(default_factory=pd.DataFrame)
    probe: str = ""
    fixed: dict[str, str] = field(default_factory=dict)
    #: MQAR: per length, 1/kv, the accuracy of answering each query with one of the kv values
    #: in the context at random; a model there recalls which values appeared, not which key
    #: each goes with
    guess: dict[int, float] = field(default_factory=dict)

    @property
    def caveat(self) -> str:
        """What this probe's horizon does not measure ("" for none)."""
        return CAVEATS.get(self.probe, "")

    @property
    def legend(self) -> str:
        """The line above the table: threshold, no-memory baseline and caveat."""
        return (f"Threshold: {self.threshold_text()}. No-memory baseline: {self.baseline}. "
                f"{self.caveat}").rstrip()

    @property
    def lags(self) -> list[int]:
        """The points measured (lags or lengths), ascending."""
        return sorted(self.scores["lag"].unique())

    def guesses(self, model: str) -> bool:
        """Whether ``model``'s mean score stays within :data:`GUESS_MARGIN` of the 1/kv level
        at every point that has one (False for a probe without it)."""
        scores = self.scores[self.scores["model"] == model].set_index("lag")["mean"]
        points = [p for p in self.guess if p in scores.index]
        return bool(points) and all(scores[p] - self.guess[p] < GUESS_MARGIN for p in points)

    def passes(self, value: float) -> bool:
        """Whether a mean score meets the horizon threshold."""
        return value >= self.threshold if self.higher else value < self.threshold

    def threshold_text(self) -> str:
        """e.g. ``mse < 0.05``."""
        return f"{self.metric} {'>=' if self.higher else '<'} {self.threshold:g}"


def _probe(dataset: str) -> tuple[str, dict[str, str]]:
    name, _, tail = dataset.partition(":")
    return name, dict(item.split("=", 1) for item in tail.split(",") if "=" in item)


def fixed_params(dataset: str) -> dict[str, str]:
    """The parameters that set a probe's sweep apart: not the swept one, the split sizes, or
    MQAR's kv, which follows the length."""
    name, params = _probe(dataset)
    return {k: v for k, v in params.items() if k != SWEEPS.get(name, "lag")
            and not k.startswith("n_") and not (name == "mqar" and k == "kv")}


def _sweep_label(dataset: str) -> tuple[str, int]:
    """``(probe label, point)``: the probe with its :func:`fixed_params`, and the point."""
    name, params = _probe(dataset)
    fixed = fixed_params(dataset)
    label = f"{name} ({', '.join(f'{k}={v}' for k, v in fixed.items())})" if fixed else name
    return label, int(params.get(SWEEPS.get(name, "lag"), 100))


def guess_levels(group: pd.DataFrame) -> dict[int, float]:
    """MQAR's 1/kv per point of one sweep's rows (columns ``dataset`` and ``lag``), from each
    dataset's ``kv``; a point whose dataset does not name ``kv`` has none."""
    levels: dict[int, float] = {}
    for dataset, lag in zip(group["dataset"], group["lag"], strict=True):
        name, params = _probe(dataset)
        if name == "mqar" and "kv" in params:
            levels[int(lag)] = 1 / int(params["kv"])
    return levels


def _score(row: pd.Series, metric: str) -> float:
    if metric == "mse":
        return row["rmse"] ** 2 if pd.notna(row["rmse"]) else math.nan
    return row[metric]


def config_labels(rows: pd.DataFrame, labels: pd.Series) -> pd.Series:
    """``labels``, with the hyperparameters that differ appended (``transformer (num_layers=
    2)``) where one model ran on one dataset in several configurations, so that no score
    averages two different models."""
    out = labels.copy()
    for _, group in rows.groupby(["model", "dataset"]):
        configs = group["hparams"].fillna("{}").map(json.loads)
        if configs.map(lambda c: json.dumps(c, sort_keys=True)).nunique() < 2:
            continue
        keys = sorted({k for c in configs for k in c})
        differ = [k for k in keys if len({json.dumps(c.get(k)) for c in configs}) > 1]
        for index, config in configs.items():
            out[index] = (f"{labels[index]} ("
                          + ", ".join(f"{k}={config.get(k)}" for k in differ) + ")")
    return out


def memory_tables(runs: pd.DataFrame) -> list[MemoryTable]:
    """A :class:`MemoryTable` per probe in the ``diagnose`` rows (``[]`` if there are none)."""
    rows = runs[(runs["suite"] == SUITE) & (runs["status"] == "ok")].copy()
    if rows.empty:
        return []
    rows["model"] = config_labels(rows, setup_labels(rows))
    parsed = rows["dataset"].map(_sweep_label)
    rows["task"], rows["lag"] = parsed.map(lambda p: p[0]), parsed.map(lambda p: p[1])
    rows["probe"] = rows["dataset"].map(lambda d: d.partition(":")[0])
    tables = []
    for (probe, task), group in rows.groupby(["probe", "task"], sort=True):
        if probe not in PROBES:
            continue
        metric, threshold, higher, _, baseline = PROBES[probe]
        entries = []
        for (model, lag), cell in group.groupby(["model", "lag"], sort=True):
            mean, half, n = mean_ci([_score(r, metric) for _, r in cell.iterrows()])
            entries.append({"model": model, "lag": lag, "mean": mean, "ci95": half, "n": n})
        scores = pd.DataFrame(entries)
        table = MemoryTable(task, metric, threshold, higher, baseline, scores, {},
                            sweep=SWEEPS[probe], probe=probe,
                            fixed=fixed_params(group["dataset"].iloc[0]),
                            guess=guess_levels(group))
        for model, curve in scores.groupby("model", sort=False):
            good = [lag for lag, m in zip(curve["lag"], curve["mean"], strict=True)
                    if not math.isnan(m) and table.passes(m)]
            table.horizons[model] = max(good) if good else None
        for _, r in group.sort_values("seed").iterrows():
            flow = json.loads(r["extra"] or "{}").get("gradient_flow")
            if flow and r["model"] not in table.gradients:
                table.gradients[r["model"]] = flow
        table.extrapolation = extrapolation_frame(group)
        tables.append(table)
    return tables


def extrapolation_frame(group: pd.DataFrame) -> pd.DataFrame:
    """Per (model, trained length, test length): the mean accuracy ± 95% CI over seeds of the
    trained weights at the test length (``extra["extrapolation"]``), with any note (a
    length's error, or positions never trained)."""
    scores: dict[tuple[str, int, int], list[float]] = {}
    notes: dict[tuple[str, int, int], str] = {}
    for _, r in group.iterrows():
        for length, result in json.loads(r["extra"] or "{}").get("extrapolation", {}).items():
            key = (r["model"], int(r["lag"]), int(length))
            scores.setdefault(key, [])
            if "accuracy" in result:
                scores[key].append(result["accuracy"])
            if "note" in result or "error" in result:
                notes[key] = result.get("note") or result["error"]
    entries = []
    for (model, trained, length), values in scores.items():
        mean, half, n = mean_ci(values) if values else (math.nan, math.nan, 0)
        entries.append({"model": model, "trained": trained, "length": length, "mean": mean,
                        "ci95": half, "n": n, "note": notes.get((model, trained, length), "")})
    return pd.DataFrame(entries)


def extrapolation_rows(table: MemoryTable) -> tuple[list[str], list[list]]:
    """Header and rows: per model (and training length) its accuracy at its own length and at
    each longer one, and the notes."""
    frame = table.extrapolation
    lengths = sorted(frame["length"].unique())
    header = ["model", "trained at", "own length", *(f"length {n}" for n in lengths), "notes"]
    rows = []
    for (model, trained), cells in frame.groupby(["model", "trained"], sort=False):
        own = table.scores[(table.scores["model"] == model) & (table.scores["lag"] == trained)]
        by_length = cells.set_index("length")
        values = [ci_text(by_length.loc[n, "mean"], by_length.loc[n, "ci95"], 3)
                  if n in by_length.index and by_length.loc[n, "n"] else
                  ("failed" if n in by_length.index else "") for n in lengths]
        rows.append([model, trained, ci_text(own["mean"].iloc[0], own["ci95"].iloc[0], 3)
                     if len(own) else "", *values,
                     "; ".join(sorted({note for note in cells["note"] if note}))])
    return header, rows


def findings(table: MemoryTable) -> str:
    """What one probe's table shows, in a few sentences: the longest horizon and who reaches
    it (flagged when it is the longest point measured, so the true horizon may be longer),
    every model grouped by its horizon, the models not yet measured at every point, and what
    the probe's horizon does not measure (:data:`CAVEATS`)."""
    first, last = table.lags[0], table.lags[-1]
    groups: dict[int | None, list[str]] = {}
    for model, horizon in table.horizons.items():
        groups.setdefault(horizon, []).append(model)
    reached = sorted((h for h in groups if h is not None), reverse=True)
    text = f"On {table.task} ({table.threshold_text()} counts as remembered; {table.baseline})"
    if not reached:
        return f"{text}, no model meets the threshold at any {table.sweep}. {table.caveat}".rstrip()
    best = reached[0]
    edge = f" (the longest {table.sweep} measured, so it may be longer)" if best == last else ""
    text += (f", the longest horizon is {table.sweep} {best}, reached by "
             f"{', '.join(sorted(groups[best]))}{edge}.")
    parts = [f"{h}: {', '.join(sorted(groups[h]))}" for h in reached]
    if None in groups:
        parts.append(f"below {first}: {', '.join(sorted(groups[None]))}")
    text += f" Horizons by {table.sweep}: {'; '.join(parts)}."
    missing = [f"{model} ({', '.join(map(str, gaps))})"
               for model, cells in table.scores.groupby("model", sort=True)
               if (gaps := sorted(set(table.lags) - set(cells["lag"])))]
    if missing:
        text += f" Not yet measured at every {table.sweep}: {'; '.join(missing)}."
    return f"{text} {table.caveat}".rstrip()


def score_rows(table: MemoryTable) -> tuple[list[str], list[list]]:
    """Header and rows: per model its score at each lag and its memory horizon."""
    decimals = 3
    header = ["model", *(f"{table.sweep} {lag}" for lag in table.lags), "memory horizon"]
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


LEGEND = ("Every model trained the same number of optimizer steps at every lag (or length), "
          "on the same seeds; scores are test means ± the 95% t-interval over seeds. The "
          "memory horizon is the largest lag (or length) whose mean score meets the "
          "threshold. Gradient flow: the batch mean of ||d loss / d x_t|| at each input "
          "step, at the largest adding lag, at initialisation and after training.")


def markdown(tables: list[MemoryTable]) -> list[str]:
    """The section's Markdown lines."""
    from results.tables import markdown_table

    parts = ["", "## Memory length", "", LEGEND]
    for t in tables:
        header, rows = score_rows(t)
        parts += ["", f"### {t.task}: {t.metric} vs {t.sweep}", "",
                  t.legend, "",
                  markdown_table(header, rows)]
        if not t.extrapolation.empty:
            header, rows = extrapolation_rows(t)
            parts += ["", f"### {t.task}: the trained weights at longer lengths", "",
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
            f"<h3>{escape(t.task)}: {escape(t.metric)} vs {t.sweep}</h3><p>{escape(t.legend)}</p>"
            f"{html_table(header, rows)}<img alt='{escape(t.task)}: {escape(t.metric)} vs "
            f"{t.sweep}' src='data:image/png;base64,{score_vs_lag_png(t)}'>")
        if not t.extrapolation.empty:
            header, rows = extrapolation_rows(t)
            parts.append(f"<h3>{escape(t.task)}: the trained weights at longer lengths</h3>"
                         f"{html_table(header, rows)}")
        if t.gradients:
            header, rows = gradient_rows(t)
            parts.append(
                f"<h3>Gradient flow ({escape(t.task)}, lag {t.lags[-1]})</h3>"
                f"{html_table(header, rows)}<img alt='gradient norm vs distance to the output' "
                f"src='data:image/png;base64,{gradient_flow_png(t.gradients)}'>")
    return "".join(parts)
