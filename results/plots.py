"""Report plots as embeddable PNGs: quality vs training throughput with the Pareto front, tuning
curves, score vs lag, gradient flow and cost vs sequence length."""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from results.leaderboard import Board  # noqa: E402


def _png(fig: plt.Figure) -> str:
    """The figure as a base64 PNG (laid out tight), closed afterwards."""
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def line_styles(count: int) -> list[dict[str, str]]:
    """A distinct colour, line style and marker per line: the ten-colour cycle repeats after
    ten lines, so the 11th and later lines also change style and marker."""
    colours = [f"C{i}" for i in range(10)]
    return [{"color": colours[i % 10], "ls": ("-", "--", ":")[i // 10 % 3],
             "marker": ("o", "s", "^")[i // 10 % 3]} for i in range(count)]


def pareto_front(points: list[tuple[float, float]], higher: bool) -> list[int]:
    """Indices of points not dominated in (throughput up, quality up or down by ``higher``)."""
    def better_or_equal(a: tuple[float, float], b: tuple[float, float]) -> bool:
        quality = a[1] >= b[1] if higher else a[1] <= b[1]
        return a[0] >= b[0] and quality

    return [i for i, p in enumerate(points)
            if not any(better_or_equal(q, p) and q != p for q in points)]


def _half_width(ci95: float | None) -> float:
    """A 95% interval's half-width to draw: none (one seed so far, or no figure) is 0."""
    return 0.0 if ci95 is None or math.isnan(ci95) else float(ci95)


def scatter_png(board: Board) -> str:
    """Base64 PNG: mean quality with 95% CI bars and per-seed points vs train samples/s.

    Models are points and the Pareto front is drawn through them; baselines, which take no
    gradient steps, are horizontal lines.
    """
    metric = board.metric
    scored = board.entries.dropna(subset=[f"{metric}_mean"])
    entries = scored[~scored["baseline"]].dropna(subset=["train_samples_per_s"])
    fig, ax = plt.subplots(figsize=(7.5, 4.6), dpi=100)
    points = list(zip(entries["train_samples_per_s"], entries[f"{metric}_mean"], strict=True))
    front = set(pareto_front(points, board.higher))
    for i, e in enumerate(entries.to_dict("records")):
        x, y = e["train_samples_per_s"], e[f"{metric}_mean"]
        seeds = board.seeds.get(e["model"], [])
        ax.scatter([x] * len(seeds), seeds, s=10, color="0.6", zorder=1)
        ax.errorbar(x, y, yerr=_half_width(e[f"{metric}_ci95"]), fmt="o",
                    color="tab:red" if i in front else "tab:blue", capsize=3, zorder=2)
        ax.annotate(e["model"], (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8)
    values = [v for e in entries.to_dict("records") for v in
              (e[f"{metric}_mean"] - _half_width(e[f"{metric}_ci95"]),
               e[f"{metric}_mean"] + _half_width(e[f"{metric}_ci95"]),
               *board.seeds.get(e["model"], []))]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (high - low) * 0.15 or 0.01
    off_scale = []
    for e in scored[scored["baseline"]].to_dict("records"):
        # baselines take no gradient steps, so they are levels to beat, not points; one far
        # from every model is named below the plot rather than squashing the models together
        level = e[f"{metric}_mean"]
        if low - 2 * pad <= level <= high + 2 * pad:
            low, high = min(low, level), max(high, level)
            ax.axhline(level, color="tab:gray", ls=":", lw=1)
            ax.annotate(f"{e['model']} (baseline)", (0.01, level),
                        xycoords=("axes fraction", "data"), xytext=(0, 2),
                        textcoords="offset points", fontsize=7, color="tab:gray")
        else:
            off_scale.append(f"{e['model']} (baseline) {level:.4g}")
    ax.set_ylim(low - pad, high + pad)
    if off_scale:
        fig.text(0.01, 0.01, "off the scale: " + ", ".join(off_scale), fontsize=7,
                 color="tab:gray")
    if front:
        ordered = sorted((points[i] for i in front), key=lambda p: p[0])
        ax.plot(*zip(*ordered, strict=True), "--", color="tab:red", lw=1,
                label="Pareto front (faster and better)")
        ax.legend(loc="best", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("train samples/s (steady state, log scale)")
    ax.set_ylabel(f"{metric} ({'higher' if board.higher else 'lower'} is better)")
    ax.set_title(board.title, fontsize=10)
    ax.grid(alpha=0.3)
    return _png(fig)


def best_so_far_png(curves: dict[str, list[tuple[int, float]]], objective: str, higher: bool,
                    title: str) -> str:
    """Base64 PNG: per model, the best objective so far against the trial number."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=100)
    for (model, curve), style in zip(curves.items(), line_styles(len(curves)), strict=True):
        if curve:
            numbers, best = zip(*curve, strict=True)
            ax.step(numbers, best, where="post", ms=3, label=model, **style)
    ax.set_xlabel("trial number")
    ax.set_ylabel(f"best {objective} so far ({'higher' if higher else 'lower'} is better)")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    if any(curves.values()):
        ax.legend(loc="best", fontsize=8)
    return _png(fig)


def score_vs_lag_png(table: Any) -> str:
    """Base64 PNG: a probe's mean score (± 95% CI) against the lag, one line per model, with
    the horizon threshold and the no-memory baseline."""
    fig, ax = plt.subplots(figsize=(7.5, 4.4), dpi=100)
    groups = list(table.scores.groupby("model", sort=False))
    for (model, curve), style in zip(groups, line_styles(len(groups)), strict=True):
        ax.errorbar(curve["lag"], curve["mean"], yerr=curve["ci95"].fillna(0), ms=3, capsize=2,
                    label=model, **style)
    ax.axhline(table.threshold, color="tab:red", ls="--", lw=1,
               label=f"threshold ({table.threshold_text()})")
    ax.set_xscale("log", base=2)
    ax.set_xlabel(f"{table.sweep} (steps, log scale)")
    ax.set_ylabel(f"{table.metric} ({'higher' if table.higher else 'lower'} is better)")
    ax.set_title(f"{table.task}: {table.metric} vs {table.sweep}; no memory: {table.baseline}",
                 fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=7, ncol=2)
    return _png(fig)


def gradient_flow_png(gradients: dict[str, dict[str, list[float]]]) -> str:
    """Base64 PNG: per model, ``||dL/dx_t||`` against the distance from step t to the output
    (log scale), at initialisation (dashed) and after training (solid)."""
    models = list(gradients)
    cols = min(4, len(models)) or 1
    rows = -(-len(models) // cols) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), dpi=100,
                             squeeze=False, sharex=True)
    for ax, model in zip(axes.flat, models, strict=False):
        for phase, style in (("init", "--"), ("trained", "-")):
            curve = gradients[model].get(phase)
            if curve:
                distance = list(range(len(curve) - 1, -1, -1))  # step t is T-1-t from the end
                ax.plot(distance, [max(v, 1e-30) for v in curve], style, lw=1, label=phase)
        ax.set_yscale("log")
        ax.set_title(model, fontsize=9)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(models):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    fig.supxlabel("distance from input step to the output (steps)", fontsize=9)
    fig.supylabel("||d loss / d x_t|| (log)", fontsize=9)
    return _png(fig)


def scaling_png(points: Any, column: str, label: str) -> str:
    """Base64 PNG: ``column`` against sequence length on log-log axes, one line per model
    (lengths that ran only)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.4), dpi=100)
    ok = points[points["status"] == "ok"]
    groups = list(ok.groupby("model", sort=False))
    for (model, curve), style in zip(groups, line_styles(len(groups)), strict=True):
        values = curve[curve[column] > 0]
        if len(values):
            ax.plot(values["length"], values[column], ms=3, label=model, **style)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T (log scale)")
    ax.set_ylabel(f"{label} (log scale)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="best", fontsize=7, ncol=2)
    return _png(fig)
