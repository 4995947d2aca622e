"""Leaderboards from the store's runs: per (suite, dataset), one entry per model, with the mean
and 95% t-interval over seeds, Welch-tied ranks and cost; a cross-dataset summary; failures.

Units and rounding are fixed here and used by every output format.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from results.schema import RESUME_KEY
from results.stats import bootstrap_mean_ci, mean_ci, rank_with_ties

#: metric -> (higher is better, decimals)
METRICS = {"accuracy": (True, 4), "macro_f1": (True, 4), "mae": (False, 3), "rmse": (False, 3),
           "rel_mae": (False, 3)}
SECONDARY = {"accuracy": "macro_f1", "mae": "rel_mae"}
#: cost column -> (record column, aggregation over seeds, decimals, header)
COST = {
    "params_m": ("params", "median", 2, "params (M)"),
    "train_samples_per_s": ("train_samples_per_s", "median", 0, "train samples/s"),
    "latency_p50_ms": ("latency_p50_ms", "median", 2, "p50 ms (batch 1)"),
    "peak_host_mib": ("peak_host_mib", "max", 0, "peak host MiB"),
    "peak_device_mib": ("peak_device_mib", "max", 0, "peak device MiB"),
}


@dataclass
class Board:
    """One leaderboard: a (suite, dataset), its primary metric and its ranked entries."""

    suite: str
    dataset: str
    metric: str
    higher: bool
    entries: pd.DataFrame
    seeds: dict[str, list[float]]
    """per entry, the per-seed scores (for plots)"""

    @property
    def title(self) -> str:
        better = "higher" if self.higher else "lower"
        return f"{self.dataset} ({self.suite}): {self.metric}, {better} is better"


def _rounded(value: float | None, decimals: int) -> float | int | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return int(round(value)) if decimals == 0 else round(float(value), decimals)


def setup_labels(rows: pd.DataFrame) -> pd.Series:
    """Model ids, with ``[backend/device]`` when the models among ``rows`` ran on several
    setups, so that no table mixes rows of different backends or devices."""
    label = rows["model"].copy()
    models = rows[~rows["is_baseline"].astype(bool)]
    if models[["backend", "device"]].drop_duplicates().shape[0] > 1:
        label = label + " [" + rows["backend"] + "/" + rows["device"] + "]"
    return label


def _entry_labels(ok: pd.DataFrame) -> pd.Series:
    """Model ids as :func:`setup_labels` gives them, and a hyperparameter hash when one model
    has several configurations."""
    label = setup_labels(ok)
    several = ok.groupby("model")["hparams_hash"].transform("nunique") > 1
    return label.where(~several, label + " #" + ok["hparams_hash"].str[:6])


def _board(suite: str, dataset: str, ok: pd.DataFrame) -> Board:
    metric = ok["primary_metric"].iloc[0]
    higher, decimals = METRICS[metric]
    second = SECONDARY[metric]
    groups = dict(tuple(ok.assign(entry=_entry_labels(ok)).groupby("entry", sort=False)))
    seeds = {e: g.sort_values("seed")[metric].astype(float).tolist() for e, g in groups.items()}
    ranks, tied = rank_with_ties(list(seeds.values()), higher)
    rows = []
    for (entry, scores), rank, tie in zip(seeds.items(), ranks, tied, strict=True):
        group = groups[entry]
        mean, half, n = mean_ci(scores)
        row = {
            "rank": rank, "tied": tie, "model": entry,
            "baseline": bool(group["is_baseline"].iloc[0]),
            f"{metric}_mean": _rounded(mean, decimals),
            f"{metric}_ci95": _rounded(half, decimals), "n": n,
            f"{second}_mean": _rounded(group[second].astype(float).mean(), METRICS[second][1]),
        }
        for name, (column, how, places, _) in COST.items():
            values = group[column].dropna().astype(float)
            if name == "params_m":
                values = values / 1e6
            row[name] = _rounded(getattr(values, how)() if len(values) else None, places)
        row["kernel"] = ", ".join(sorted(set(group["kernel"].dropna()))) or None
        rows.append(row)
    entries = pd.DataFrame(rows)
    for name, (*_, places, _) in COST.items():
        if places == 0:  # whole numbers stay whole when some entries have none
            entries[name] = entries[name].astype("Int64")
    entries = entries.sort_values(
        ["rank", f"{metric}_mean"], ascending=[True, not higher], kind="stable",
    ).reset_index(drop=True)
    return Board(suite, dataset, metric, higher, entries, seeds)


def leaderboards(runs: pd.DataFrame) -> list[Board]:
    """A :class:`Board` per (suite, dataset) that has at least one ok run."""
    ok = runs[runs["status"] == "ok"]
    return [_board(suite, dataset, group)
            for (suite, dataset), group in ok.groupby(["suite", "dataset"], sort=True)]


def _interval(bounds: tuple[float, float]) -> str:
    low, high = bounds
    return "" if math.isnan(low) else f"{low:.2f}-{high:.2f}"


def summary(boards: list[Board]) -> pd.DataFrame:
    """Per model across boards: datasets, mean rank with its 95% bootstrap interval over the
    datasets (resampled with replacement), wins (rank 1 with no model tied to it) and ties
    (the best or tied with it by the Welch test)."""
    rows: dict[str, dict] = {}
    for board in boards:
        for entry in board.entries.itertuples():
            row = rows.setdefault(entry.model, {"model": entry.model, "baseline": entry.baseline,
                                                "ranks": [], "wins": 0, "ties": 0})
            row["ranks"].append(entry.rank)
            row["wins"] += int(entry.rank == 1 and not entry.tied)
            row["ties"] += int(entry.tied)
    table = pd.DataFrame([{**{k: v for k, v in r.items() if k != "ranks"},
                           "baseline": "yes" if r["baseline"] else "",
                           "datasets": len(r["ranks"]),
                           "mean_rank": round(float(np.mean(r["ranks"])), 2),
                           "mean_rank_ci": _interval(bootstrap_mean_ci(r["ranks"]))}
                          for r in rows.values()],
                         columns=["model", "baseline", "wins", "ties", "datasets", "mean_rank",
                                  "mean_rank_ci"])
    return table.sort_values(["mean_rank", "wins"], ascending=[True, False]).reset_index(drop=True)


def failures(runs: pd.DataFrame) -> pd.DataFrame:
    """Every run that did not finish ok (failed, diverged, timeout) with its error; never
    silently dropped. Column ``rerun ok`` holds when a later run of the same cell (the resume
    key) finished ok, so a failure since fixed reads as such; it is empty otherwise."""
    bad = runs[runs["status"] != "ok"]
    key = list(RESUME_KEY)
    last_ok = (runs[runs["status"] == "ok"].groupby(key)["started_at"].max()
               .rename("rerun ok"))
    bad = bad.join(last_ok, on=key)
    rerun = bad["rerun ok"].fillna("")
    bad["rerun ok"] = rerun.where(rerun > bad["started_at"].fillna(""), "")
    return bad[["suite", "dataset", "model", "seed", "status", "error", "started_at",
                "rerun ok"]].reset_index(drop=True)


def ci_text(mean: float | None, half: float | None, decimals: int) -> str:
    """``mean ± half`` at ``decimals`` places; just the mean without an interval, "" without
    a mean."""
    if mean is None or pd.isna(mean):
        return ""
    return f"{mean:.{decimals}f}" + ("" if half is None or pd.isna(half)
                                     else f" ± {half:.{decimals}f}")


def rank_text(rank: int, tied: bool) -> str:
    """A rank as the reports show it: ``1=`` for the best when others tie it, ``4 (=1)`` for
    the fourth mean not significantly different from the best, else the plain position."""
    if not tied:
        return str(rank)
    return f"{rank}=" if rank == 1 else f"{rank} (=1)"


def display_rows(board: Board) -> tuple[list[str], list[list]]:
    """Header and rows of a board as shown in Markdown and HTML (fixed units and rounding)."""
    metric = board.metric
    decimals = METRICS[metric][1]
    second = SECONDARY[metric]
    header = ["rank", "model", f"{metric} (mean ± 95% CI)", "n", second,
              *(h for *_, h in COST.values()), "kernel"]
    rows = []
    for e in board.entries.to_dict("records"):
        score = ci_text(e[f"{metric}_mean"], e[f"{metric}_ci95"], decimals)
        name = e["model"] + (" (baseline)" if e["baseline"] else "")
        costs = [None if pd.isna(e[c]) else f"{e[c]:,.{places}f}"
                 for c, (_, _, places, _) in COST.items()]
        second_value = e[f"{second}_mean"]
        rows.append([rank_text(e["rank"], e["tied"]), name, score, e["n"],
                     None if pd.isna(second_value) else f"{second_value:.{METRICS[second][1]}f}",
                     *costs, e["kernel"]])
    return header, rows
