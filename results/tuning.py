"""Tuning comparisons from the store: per model, what tuning bought, with CIs, trials and time.

Everything is computed from stored rows: the trials of each search, the search outcome per
model, and the harness re-runs (suite ``tune:<search id>``) of the default and tuned configs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from results.leaderboard import METRICS, ci_text
from results.stats import mean_ci, welch_p
from results.store import Store

COMPLETED = "COMPLETED"


@dataclass
class SearchSummary:
    """One search: its settings, a row per model, and each model's best-so-far curve."""

    search_id: str
    settings: dict[str, Any]
    objective: str
    higher_objective: bool
    metric: str | None
    """the test metric of the re-runs (the dataset's primary metric); None before any re-run"""
    table: pd.DataFrame
    curves: dict[str, list[tuple[int, float]]]
    """model -> (trial number, best objective so far) after each completed trial"""

    @property
    def title(self) -> str:
        s = self.settings
        budget = (f"max_epochs {s['max_epochs']}" if s["tuner"] == "hyperband"
                  else f"{s['trials']} trials")
        return (f"{s['dataset']}: {s['tuner']} search, {budget} x {s['executions']} "
                f"execution(s), up to {s['budget']['epochs']} epochs each, seed {s['seed']} "
                f"({self.search_id})")


def best_so_far(trials: pd.DataFrame, higher: bool) -> list[tuple[int, float]]:
    """(trial number, best score so far) at each completed trial, in trial order."""
    done = trials[trials["status"] == COMPLETED].dropna(subset=["score"])
    done = done.assign(number=done["trial_id"].astype(int) + 1).sort_values("number")
    best = math.nan
    curve = []
    for number, score in zip(done["number"], done["score"].astype(float), strict=True):
        if math.isnan(best) or (score > best if higher else score < best):
            best = score
        curve.append((int(number), best))
    return curve


def _config_scores(runs: pd.DataFrame, model: str, key: str | None, metric: str | None
                   ) -> list[float]:
    if key is None or metric is None:
        return []
    mine = runs[(runs["model"] == model) & (runs["hparams_hash"] == key)
                & (runs["status"] == "ok")]
    return mine.sort_values("seed")[metric].astype(float).tolist()


def _model_row(model: dict[str, Any], trials: pd.DataFrame, runs: pd.DataFrame,
               metric: str | None, higher: bool) -> dict[str, Any]:
    mine = trials[trials["model"] == model["model"]]
    done = mine[mine["status"] == COMPLETED].dropna(subset=["score"])
    best = (done.loc[done["score"].idxmax() if higher else done["score"].idxmin()]
            if len(done) else None)
    default = _config_scores(runs, model["model"], model["default_hash"], metric)
    tuned = (default if model["tuned_hash"] == model["default_hash"]
             else _config_scores(runs, model["model"], model["tuned_hash"], metric))
    d_mean, d_ci, d_n = mean_ci(default)
    t_mean, t_ci, t_n = mean_ci(tuned)
    return {
        "model": model["model"], "status": model["status"], "error": model["error"],
        "trials": len(mine), "completed": len(done),
        "failed": int((mine["status"] != COMPLETED).sum()),
        "search_seconds": model["search_seconds"],
        "trial_seconds": float(mine["wall_seconds"].sum()),
        "best_trial": model["best_trial"],
        "best_score": None if best is None else float(best["score"]),
        "default_mean": d_mean, "default_ci95": d_ci, "default_n": d_n,
        "tuned_mean": t_mean, "tuned_ci95": t_ci, "tuned_n": t_n,
        "delta": t_mean - d_mean,
        "p_value": 1.0 if model["tuned_hash"] == model["default_hash"] else welch_p(tuned, default),
        "best_hparams": model["best_hparams"],
    }


def tuning_summaries(store: Store, search: str | None = None) -> list[SearchSummary]:
    """A :class:`SearchSummary` per search in ``store`` (or just ``search``), its models in the
    order the search listed them."""
    searches = store.rows("tuning_searches", **({"search_id": search} if search else {}))
    if searches.empty:
        known = ", ".join(store.rows("tuning_searches")["search_id"]) or "none"
        what = f"search {search!r}" if search else "tuning searches"
        raise ValueError(f"store {store.path} has no {what} (known: {known}); run `seqzoo tune` "
                         "first")
    summaries = []
    for s in searches.to_dict("records"):
        search_id, higher = s["search_id"], s["direction"] == "max"
        settings = json.loads(s["settings"])
        trials = store.rows("tuning_trials", search_id=search_id)
        rank = {m: i for i, m in enumerate(settings.get("models", []))}
        models = store.rows("tuning_models", search_id=search_id)
        models = (models.assign(rank=models["model"].map(rank).fillna(len(rank)))
                  .sort_values("rank", kind="stable").drop(columns="rank"))
        runs = store.runs(suite=f"tune:{search_id}")
        metric = runs["primary_metric"].dropna().iloc[0] if len(runs.dropna(
            subset=["primary_metric"])) else None
        table = pd.DataFrame([_model_row(m, trials, runs, metric, higher)
                              for m in models.to_dict("records")])
        curves = {m: best_so_far(trials[trials["model"] == m], higher) for m in models["model"]}
        summaries.append(SearchSummary(search_id, settings, s["objective"],
                                       higher, metric, table, curves))
    return summaries


def _fmt(value: Any, decimals: int, sign: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{value:{'+' if sign else ''},.{decimals}f}"


def display_rows(summary: SearchSummary) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of a search's comparison as Markdown and HTML show them."""
    metric = summary.metric or "test metric"
    decimals = METRICS.get(summary.metric or "", (True, 4))[1]
    header = ["model", f"default {metric} (mean ± 95% CI)", f"tuned {metric} (mean ± 95% CI)",
              "delta", "p (Welch)", "seeds", f"best {summary.objective}", "trials (ok/all)",
              "search s", "trial s", "best hyperparameters"]
    rows = []
    for r in summary.table.to_dict("records"):
        hparams = json.loads(r["best_hparams"]) if r["best_hparams"] else {}
        shown = ", ".join(f"{k}={_short(v)}" for k, v in sorted(hparams.items()))
        if r["status"] != "ok":
            shown = f"{r['status']}: {r['error']}" + (f"; {shown}" if shown else "")
        seeds = (str(r["default_n"]) if r["default_n"] == r["tuned_n"]
                 else f"{r['default_n']}/{r['tuned_n']}")
        rows.append([r["model"], ci_text(r["default_mean"], r["default_ci95"], decimals),
                     ci_text(r["tuned_mean"], r["tuned_ci95"], decimals),
                     _fmt(r["delta"], decimals, sign=True), _fmt(r["p_value"], 3), seeds,
                     _fmt(r["best_score"], 4), f"{r['completed']}/{r['trials']}",
                     _fmt(r["search_seconds"], 0), _fmt(r["trial_seconds"], 0), shown])
    return header, rows


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def csv_frame(summaries: list[SearchSummary]) -> pd.DataFrame:
    """Every search's per-model rows, with the search id, settings and metric, unrounded."""
    frames = []
    for s in summaries:
        frame = s.table.copy()
        frame.insert(0, "metric", s.metric)
        frame.insert(0, "objective", s.objective)
        frame.insert(0, "tuner", s.settings["tuner"])
        frame.insert(0, "dataset", s.settings["dataset"])
        frame.insert(0, "search_id", s.search_id)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

