"""The report's Scaling section, from ``seqzoo scale`` rows (suite ``scale``).

Per model and length: the median training step, train tokens/s, inference latency at batch 1
and at batch B, peak host memory and its growth over the worker's memory after imports, peak
device memory and forward FLOPs; the largest length each model reached; and, per model, the
log-log slope of step time and of memory growth against T with a 95% interval over the fitted
points (a slope of 1 is linear cost, 2 quadratic).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from results.leaderboard import setup_labels

SUITE = "scale"


@dataclass
class Scaling:
    """All scale rows as one frame, and the per-model exponents."""

    points: pd.DataFrame  # model, length, status, step_ms, tokens_s, ..., error
    exponents: pd.DataFrame  # model, largest_ok, time_slope, time_ci, memory_slope, ...


def _length(row: pd.Series) -> int:
    extra = json.loads(row["extra"] or "{}")
    if "length" in extra:
        return int(extra["length"])
    tail = row["dataset"].partition(":")[2]
    return int(dict(i.split("=", 1) for i in tail.split(",") if "=" in i)["lag"])


def loglog_slope(lengths: list[float], values: list[float]) -> tuple[float, float]:
    """Slope of log(value) on log(length) and its 95% half-interval (NaN with < 3 points)."""
    pairs = [(x, y) for x, y in zip(lengths, values, strict=True)
             if x > 0 and y is not None and y > 0 and math.isfinite(y)]
    if len(pairs) < 2:
        return math.nan, math.nan
    fit = stats.linregress(np.log([p[0] for p in pairs]), np.log([p[1] for p in pairs]))
    if len(pairs) < 3:
        return float(fit.slope), math.nan
    return float(fit.slope), float(stats.t.ppf(0.975, len(pairs) - 2) * fit.stderr)


def scaling(runs: pd.DataFrame) -> Scaling | None:
    """The :class:`Scaling` of the store's scale rows, or ``None`` if there are none."""
    rows = runs[runs["suite"] == SUITE].copy()
    if rows.empty:
        return None
    rows["model"] = setup_labels(rows)
    points = []
    for _, r in rows.iterrows():
        extra = json.loads(r["extra"] or "{}")
        start = r["host_mib_at_start"]
        growth = r["peak_host_mib"] - start if pd.notna(start) and pd.notna(
            r["peak_host_mib"]) else math.nan
        points.append({
            "model": r["model"], "length": _length(r), "status": r["status"],
            "step_ms": extra.get("step_ms"), "tokens_s": extra.get("train_tokens_per_s"),
            "latency_1_ms": r["latency_p50_ms"] if r["status"] == "ok" else None,
            "latency_b_ms": extra.get("latency_batch_ms"), "batch": extra.get("batch"),
            "peak_mib": r["peak_host_mib"], "growth_mib": growth,
            "device_mib": r["peak_device_mib"], "gflops": (r["flops_per_sample"] or 0) / 1e9
            if r["status"] == "ok" else None, "error": r["error"]})
    frame = pd.DataFrame(points).sort_values(["model", "length"]).drop_duplicates(
        ["model", "length"], keep="last").reset_index(drop=True)
    exponents = []
    for model, group in frame.groupby("model", sort=False):
        ok = group[group["status"] == "ok"]
        time_slope, time_ci = loglog_slope(list(ok["length"]), list(ok["step_ms"]))
        mem_slope, mem_ci = loglog_slope(list(ok["length"]), list(ok["growth_mib"]))
        stopped = group[group["status"] != "ok"]
        exponents.append({
            "model": model, "largest_ok": int(ok["length"].max()) if len(ok) else None,
            "stopped_at": None if stopped.empty else
            f"{int(stopped['length'].min())} ({stopped.iloc[0]['status']})",
            "time_slope": time_slope, "time_ci": time_ci, "memory_slope": mem_slope,
            "memory_ci": mem_ci, "points": len(ok)})
    return Scaling(frame, pd.DataFrame(exponents))


def _slope_text(slope: float, half: float) -> str:
    if math.isnan(slope):
        return ""
    return f"{slope:.2f}" + ("" if math.isnan(half) else f" ± {half:.2f}")


def _growth_sentence(s: Scaling, what: str, column: str) -> str:
    """Which models' ``column`` exponent lies above 1, whose interval holds 1, and which lies
    below 1, each listed by exponent, largest first."""
    kinds: dict[str, list[str]] = {"above": [], "linear": [], "below": []}
    fitted = s.exponents.dropna(subset=[column]).sort_values(column, ascending=False)
    for e in fitted.to_dict("records"):
        slope, half = e[column], e[column.replace("slope", "ci")]
        half = 0.0 if math.isnan(half) else half
        kind = "above" if slope - half > 1 else "below" if slope + half < 1 else "linear"
        kinds[kind].append(f"{e['model']} ({_slope_text(slope, half)})")
    parts = [f"{label} for {', '.join(kinds[kind])}" for kind, label in (
        ("above", "grows faster than linearly in T (the whole interval above 1)"),
        ("linear", "grows linearly (the interval holds 1)"),
        ("below", "grows slower than linearly over this range (a fixed cost still dominates)"))
        if kinds[kind]]
    return f"{what}: {'; '.join(parts)}." if parts else ""


def findings(s: Scaling) -> str:
    """What the exponents show, in three sentences: how step time and memory growth scale
    with T per model, and which models stopped before the longest length."""
    longest = int(s.points["length"].max())
    # the points are sorted by model and length: the first not-ok point of each is its stop
    stops = s.points[s.points["status"] != "ok"].drop_duplicates("model")
    stopped = [f"{p['model']} ({p['status']} at T = {int(p['length'])})"
               for p in stops.to_dict("records")]
    reach = (f"Stopped before T = {longest}: {', '.join(stopped)}." if stopped
             else f"Every model reached T = {longest}.")
    return " ".join(filter(None, [_growth_sentence(s, "Step time", "time_slope"),
                                  _growth_sentence(s, "Memory growth", "memory_slope"), reach]))


def exponent_rows(s: Scaling) -> tuple[list[str], list[list]]:
    """Header and rows of the exponents table."""
    header = ["model", "time exponent (± 95%)", "memory exponent (± 95%)", "points",
              "largest T reached", "stopped at"]
    rows = [[e["model"], _slope_text(e["time_slope"], e["time_ci"]),
             _slope_text(e["memory_slope"], e["memory_ci"]), e["points"],
             int(e["largest_ok"]) if pd.notna(e["largest_ok"]) else "none",
             e["stopped_at"] if pd.notna(e["stopped_at"]) else ""]
            for e in s.exponents.to_dict("records")]
    return header, rows


def point_rows(s: Scaling) -> tuple[list[str], list[list]]:
    """Header and rows of every (model, length) measurement."""
    header = ["model", "T", "status", "step ms", "train tokens/s", "latency b=1 ms",
              "latency b=B ms", "peak MiB", "growth MiB", "device MiB", "GFLOPs/sample"]

    def number(value: object, places: int) -> str:
        return "" if value is None or pd.isna(value) else f"{value:,.{places}f}"

    rows = [[p["model"], p["length"], p["status"] if p["status"] == "ok" else
             f"{p['status']}: {(p['error'] or '')[:60]}", number(p["step_ms"], 1),
             number(p["tokens_s"], 0), number(p["latency_1_ms"], 2),
             number(p["latency_b_ms"], 1), number(p["peak_mib"], 0),
             number(p["growth_mib"], 0), number(p["device_mib"], 0), number(p["gflops"], 3)]
            for p in s.points.to_dict("records")]
    return header, rows


LEGEND = ("One isolated worker per (model, length), fixed batch and width. Step ms: median "
          "training step after 2 warm-up steps; latency at batch 1 and at the sweep's batch; "
          "growth MiB: peak resident memory minus the worker's memory after imports. "
          "Exponents: the log-log slope of step time and of memory growth against T over the "
          "lengths that ran (1 = linear, 2 = quadratic), ± the 95% interval of the fit.")


def markdown(s: Scaling) -> list[str]:
    """The section's Markdown lines."""
    from results.tables import markdown_table

    parts = ["", "## Scaling", "", LEGEND, "", "### Exponents and largest T", ""]
    parts.append(markdown_table(*exponent_rows(s)))
    parts += ["", "### Every length", "", markdown_table(*point_rows(s))]
    return parts


def html(s: Scaling) -> str:
    """The section's HTML with the log-log plots embedded."""
    from html import escape

    from results.plots import scaling_png
    from results.tables import html_table

    return (f"<h2>Scaling</h2><p>{escape(LEGEND)}</p><h3>Exponents and largest T</h3>"
            f"{html_table(*exponent_rows(s))}"
            f"<img alt='step time vs sequence length' src='data:image/png;base64,"
            f"{scaling_png(s.points, 'step_ms', 'training step (ms)')}'>"
            f"<img alt='memory growth vs sequence length' src='data:image/png;base64,"
            f"{scaling_png(s.points, 'growth_mib', 'peak memory growth (MiB)')}'>"
            f"<h3>Every length</h3>{html_table(*point_rows(s))}")
