"""The report's Reproduction table: each paper's headline result on a recall probe beside ours.

For selective copying (Gu & Dao 2023, Table 1), its non-selective control, induction heads
(Gu & Dao 2023, §4.1.2) and MQAR (Arora et al. 2023): the paper's setting and its published
figure (only where the paper prints one for a model of the same kind), our setting, every
model's accuracy (mean ± 95% CI over seeds, at our longest point, or at every point for a claim
about the change along the sweep, MQAR's), and a verdict computed from the rows:
``reproduced``, ``not reproduced`` or ``not comparable``, with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from results.leaderboard import ci_text
from results.memory import GUESS_MARGIN, MemoryTable

THRESHOLD = 0.9  # "solves": the memory horizon's accuracy threshold


@dataclass(frozen=True)
class Claim:
    """One paper's claim on one probe, and how our rows test it."""

    probe: str  # the probe whose tables it reads
    selective: bool  # selective copying only: whether it reads the variable=true tables
    paper: str
    setting: str
    claim: str
    published: dict[str, str]  # our model id -> the paper's figure for its counterpart
    verdict: Callable[[MemoryTable], tuple[str, str]]
    every_point: bool = False  # a claim about the change along the sweep shows every point


def _at(table: MemoryTable, model: str, point: int | None = None) -> float:
    """The mean score of ``model`` at ``point`` (default: the largest), NaN if absent."""
    scores = table.scores[table.scores["model"] == model]
    point = table.lags[-1] if point is None else point
    row = scores[scores["lag"] == point]
    return float(row["mean"].iloc[0]) if len(row) else math.nan


def _missing(table: MemoryTable, models: tuple[str, ...]) -> tuple[str, str] | None:
    absent = [m for m in models if math.isnan(_at(table, m))]
    if absent:
        return "not comparable", f"no rows of {', '.join(absent)} at {table.sweep} {table.lags[-1]}"
    return None


def _copy_scores(table: MemoryTable) -> tuple[float, float, str]:
    """Mamba's and S4D's scores at the largest point, and the sentence that states them."""
    mamba, s4d = _at(table, "mamba"), _at(table, "s4d")
    return mamba, s4d, f"at {table.sweep} {table.lags[-1]}: mamba {mamba:.3f}, s4d {s4d:.3f}"


def _selective(table: MemoryTable) -> tuple[str, str]:
    """Mamba solves it, the time-invariant S4D does not."""
    missing = _missing(table, ("mamba", "s4d"))
    if missing:
        return missing
    mamba, s4d, where = _copy_scores(table)
    if mamba >= THRESHOLD and s4d < THRESHOLD:
        return "reproduced", where
    if mamba < THRESHOLD:
        return "not reproduced", f"{where}; mamba does not solve it within our budget"
    return "not reproduced", f"{where}; the time-invariant s4d solves it too"


def _control(table: MemoryTable) -> tuple[str, str]:
    """Both the selective and the time-invariant model solve the non-selective copy."""
    missing = _missing(table, ("mamba", "s4d"))
    if missing:
        return missing
    mamba, s4d, where = _copy_scores(table)
    solved = mamba >= THRESHOLD and s4d >= THRESHOLD
    return ("reproduced" if solved else "not reproduced"), where


def _induction(table: MemoryTable) -> tuple[str, str]:
    """Mamba keeps its accuracy beyond the training length; learned absolute positions do
    not."""
    frame = table.extrapolation
    if frame.empty or not {"mamba", "transformer"} <= set(frame["model"]):
        return "not comparable", "no test-length rows of mamba and transformer"
    longest = int(frame["length"].max())

    def far(model: str) -> float:
        row = frame[(frame["model"] == model) & (frame["length"] == longest)]
        return float(row["mean"].iloc[0]) if len(row) else math.nan

    mamba, transformer = far("mamba"), far("transformer")
    own, own_transformer = _at(table, "mamba"), _at(table, "transformer")
    where = (f"trained at {table.lags[-1]}, tested at {longest}: mamba {mamba:.3f} (own length "
             f"{own:.3f}), transformer {transformer:.3f} (own length {own_transformer:.3f})")
    if own < THRESHOLD:
        return "not reproduced", f"{where}; mamba does not solve it at its own length"
    if mamba < THRESHOLD:
        return "not reproduced", f"{where}; mamba does not hold it at the longest length"
    if not own_transformer >= THRESHOLD:
        return "not comparable", (f"{where}; mamba holds it, but the transformer does not solve "
                                  "it at its own length, so its failure beyond says nothing "
                                  "about positions")
    if transformer >= THRESHOLD:
        return "not reproduced", f"{where}; the transformer holds it too"
    return "reproduced", where


#: recurrent families of fixed state whose MQAR accuracy should fall as kv grows
SMALL_STATE = ("rnn", "lstm", "gru", "mingru", "minlstm", "s4d", "mamba", "lru", "hawk",
               "slstm", "mlstm", "xlstm")


def _names(models: list[str]) -> str:
    return f" ({', '.join(models)})" if models else ""


def _mqar(table: MemoryTable) -> tuple[str, str]:
    """Attention solves every setting; the small-state recurrences fall as kv grows. A model
    falls when its margin over the 1/kv level shrinks by more than the guess margin; one at
    the 1/kv level throughout never recalled a key's value, so it neither falls nor holds."""
    missing = _missing(table, ("transformer",))
    if missing:
        return missing
    if len(table.lags) < 2:
        return "not comparable", "one setting only; the claim is about growing kv"
    first, last = table.lags[0], table.lags[-1]
    attention = [_at(table, "transformer", p) for p in table.lags]
    present = [m for m in SMALL_STATE if not math.isnan(_at(table, m, last))]
    guessing = [m for m in present if table.guesses(m)]

    def margin(model: str, point: int) -> float:
        return _at(table, model, point) - table.guess.get(point, 0.0)

    fell = [m for m in present if m not in guessing
            and margin(m, first) - margin(m, last) > GUESS_MARGIN]
    held = [m for m in present if m not in guessing and m not in fell]
    where = (f"transformer {', '.join(f'{a:.3f}' for a in attention)} over {table.sweep}s "
             f"{', '.join(map(str, table.lags))}; of {len(present)} recurrent models, "
             f"{len(fell)} fall from {table.sweep} {first} to {last}{_names(fell)}, "
             f"{len(held)} hold{_names(held)}")
    if table.guess:
        where += (f", {len(guessing)} stay at the 1/kv level throughout, never recalling a "
                  f"key's value{_names(guessing)}")
    if min(attention) < THRESHOLD:
        return "not reproduced", (f"{where}; the transformer does not solve every setting "
                                  "within our budget")
    if not present or len(fell) <= len(present) / 2:
        return "not reproduced", f"{where}; most recurrent models do not fall"
    return "reproduced", where


CLAIMS = (
    Claim("selective_copy", True, "Gu & Dao 2023, Table 1",
          "L = 4096, M = 16, A = 16; two layers, D = 64; 400k steps",
          "the selective SSM (Mamba) solves it, the time-invariant S4 does not",
          {"mamba": "99.8 (Mamba, S6 layer)", "s4d": "18.3 (S4)"}, _selective),
    Claim("selective_copy", False, "Gu & Dao 2023, §4.1.1",
          "the original copying task (tokens at fixed positions)",
          "time-invariant models solve the non-selective copy",
          {}, _control),
    Claim("induction_heads", True, "Gu & Dao 2023, §4.1.2 and Table 11",
          "vocabulary 16; trained at 256, tested at 2^6 .. 2^20; two layers, D = 64",
          "Mamba keeps full accuracy to 2^20; attention with absolute positions fails beyond "
          "the training length", {"mamba": "100% at every test length"}, _induction),
    Claim("mqar", True, "Arora et al. 2023 (Zoology), Figure 2",
          "V = 8192; (L, kv) in (64, 4), (128, 8), (256, 16); d_model 64 .. 512",
          "attention solves every setting; at fixed width the gated-convolution and "
          "small-state recurrent models fall as kv grows", {}, _mqar, every_point=True),
)


def _reads(claim: Claim, table: MemoryTable) -> bool:
    """Whether ``claim`` is tested by ``table`` (selective copying: by its ``variable``)."""
    return table.probe == claim.probe and (
        claim.probe != "selective_copy"
        or (table.fixed.get("variable", "true") == "true") == claim.selective)


def reproduction_rows(tables: list[MemoryTable]) -> list[dict[str, object]]:
    """Per claim and probe table that tests it: the claim, the settings, every model's score at
    our largest point with its published counterpart, and the verdict."""
    rows = []
    for claim in CLAIMS:
        for table in (t for t in tables if _reads(claim, t)):
            verdict, reason = claim.verdict(table)
            points = table.lags if claim.every_point else table.lags[-1:]
            far = _longest_test(table, points[-1])
            ours = [(model, *(_cell(cells, p) for p in points),
                     *([far.get(model, "")] if far else []), claim.published.get(model, ""))
                    for model, cells in table.scores.groupby("model", sort=True)
                    if points[-1] in set(cells["lag"])]
            columns = ["model", *(f"ours, {table.sweep} {p}" for p in points),
                       *([f"ours, same weights at length {far['length']}"] if far else []),
                       "published"]
            ours_text = (f"{table.sweep}s {', '.join(map(str, points))}" if len(points) > 1
                         else f"{table.sweep} {points[0]}")
            rows.append({"probe": table.task, "paper": claim.paper, "setting": claim.setting,
                         "claim": claim.claim, "ours": ours_text, "columns": columns,
                         "scores": ours, "verdict": verdict, "reason": reason})
    return rows


def _cell(cells: pd.DataFrame, point: int) -> str:
    """One model's score at ``point`` as mean ± CI ("" if it has none there)."""
    row = cells[cells["lag"] == point]
    return ci_text(row["mean"].iloc[0], row["ci95"].iloc[0], 3) if len(row) else ""


def _longest_test(table: MemoryTable, trained: int) -> dict[str, str]:
    """Per model, the score of its weights trained at ``trained`` at the longest test length
    (and that length under ``"length"``); empty for a probe without test lengths."""
    frame = table.extrapolation
    frame = frame[frame["trained"] == trained] if not frame.empty else frame
    if frame.empty:
        return {}
    longest = int(frame["length"].max())
    rows = frame[frame["length"] == longest]
    return {"length": str(longest), **{row.model: ci_text(row.mean, row.ci95, 3)
                                       for row in rows.itertuples()}}


def markdown(tables: list[MemoryTable]) -> list[str]:
    """The Reproduction section's Markdown lines (none without recall-probe rows)."""
    from results.tables import markdown_table

    rows = reproduction_rows(tables)
    if not rows:
        return []
    parts = ["", "### Reproduction", "",
             "Each paper's claim on a recall probe, its setting and published figure, ours "
             f"(test accuracy, mean ± 95% CI over seeds; \"solves\" is >= {THRESHOLD}), and "
             "the verdict drawn from our rows."]
    for row in rows:
        parts += ["", f"#### {row['probe']}: {row['claim']}", "",
                  f"Paper: {row['paper']}, {row['setting']}. Ours: {row['ours']}.", "",
                  markdown_table(row["columns"], [list(s) for s in row["scores"]]), "",
                  f"**Verdict: {row['verdict']}** ({row['reason']})."]
    return parts


def html(tables: list[MemoryTable]) -> str:
    """The Reproduction section's HTML ("" without recall-probe rows)."""
    from html import escape

    from results.tables import html_table

    rows = reproduction_rows(tables)
    if not rows:
        return ""
    parts = ["<h3>Reproduction</h3><p>Each paper's claim on a recall probe, its setting and "
             "published figure, ours (test accuracy, mean ± 95% CI over seeds; \"solves\" is "
             f">= {THRESHOLD}), and the verdict drawn from our rows.</p>"]
    for row in rows:
        parts.append(
            f"<h4>{escape(str(row['probe']))}: {escape(str(row['claim']))}</h4>"
            f"<p>Paper: {escape(str(row['paper']))}, {escape(str(row['setting']))}. Ours: "
            f"{escape(str(row['ours']))}.</p>"
            + html_table(row["columns"], [list(s) for s in row["scores"]])
            + f"<p><b>Verdict: {escape(str(row['verdict']))}</b> "
              f"({escape(str(row['reason']))}).</p>")
    return "".join(parts)


def frame(tables: list[MemoryTable]) -> pd.DataFrame:
    """One line per claim, for the CSV: probe, paper, settings, verdict and reason."""
    return pd.DataFrame([{k: v for k, v in row.items() if k not in ("columns", "scores")}
                         for row in reproduction_rows(tables)])
