"""The reference's own README and the project README's Results section, written from the store.

Nothing here is typed by hand: every figure comes from the reference store's rows, every
sentence from a rule over them (:func:`findings`), and the wall times from the ledger of parts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from results import anchors, memory, parity, reproduction
from results import scaling as scaling_section
from results.leaderboard import (
    COST,
    METRICS,
    Board,
    ci_text,
    display_rows,
    failures,
    leaderboards,
    summary,
)
from results.report import SUMMARY_HEADER, provenance
from results.tables import duration, markdown_table

BOARD_COST = ("params_m", "train_samples_per_s", "peak_host_mib")
#: a part's exit status in the ledger when Ctrl-C stopped it (the shell's 128 + SIGINT)
INTERRUPTED = 130
BEGIN, END = "<!-- reference results -->", "<!-- /reference results -->"
SPECIAL = (memory.SUITE, scaling_section.SUITE, parity.SUITE, "peers")


def check_markers(text: str, path: Path | str) -> None:
    """``ValueError`` unless ``text`` holds the Results markers once each, in order."""
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise ValueError(f"--readme {path} needs one '{BEGIN}' line and, after it, one '{END}' "
                         "line around its Results section")


def replace_section(text: str, section: str) -> str:
    """``text`` with what lies between the markers replaced by ``section``."""
    check_markers(text, "README")
    head, rest = text.split(BEGIN)
    return f"{head}{BEGIN}\n{section.strip()}\n{END}{rest.split(END, 1)[1]}"


def _demote(lines: list[str], levels: int = 1) -> list[str]:
    """Markdown heading lines one level deeper (a report section inside a README section)."""
    return [re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + levels) + " ", line)
            for line in lines]


def _families(runs: pd.DataFrame, datasets: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Dataset id -> its task family, from the stored dataset provenance."""
    found = {}
    for name, fingerprint in runs[["dataset", "dataset_fingerprint"]].drop_duplicates().values:
        found[name] = datasets.get(fingerprint, {}).get("family", "other")
    return found


def _board_rows(board: Board) -> tuple[list[str], list[list]]:
    """The ranked table a user reads first: the report's columns of quality with its interval
    and of cost (params, train samples/s, peak host memory)."""
    header, rows = display_rows(board)
    keep = [header.index(name) for name in ("rank", "model", header[2], "n",
                                            *(COST[c][3] for c in BOARD_COST))]
    return [header[i] for i in keep], [[row[i] for i in keep] for row in rows]


def _not_ok(runs: pd.DataFrame, board: Board) -> list[str]:
    """A line naming the models of ``board`` whose runs did not finish (timeout, failed or
    diverged) and were not rerun ok since, with their seeds: shown beside the table, never
    left out."""
    bad = failures(runs[(runs["suite"] == board.suite) & (runs["dataset"] == board.dataset)])
    bad = bad[bad["rerun ok"] == ""]
    if bad.empty:
        return []
    items = [f"{model} ({status}, seed{'s' if len(g) > 1 else ''} "
             f"{', '.join(map(str, sorted(g['seed'])))})"
             for (model, status), g in bad.groupby(["model", "status"], sort=True)]
    return ["", f"Not finished: {'; '.join(items)}."]


def _score(board: Board, entry: dict[str, Any]) -> str:
    decimals = METRICS[board.metric][1]
    return ci_text(entry[f"{board.metric}_mean"], entry[f"{board.metric}_ci95"], decimals)


def sign(board: Board) -> int:
    """+1 where higher is better, -1 where lower is."""
    return 1 if board.higher else -1


def findings(board: Board) -> str:
    """What one board shows, in a sentence or two: the best model, who ties it, and where
    the best baseline stands (named when it wins or ties)."""
    entries = board.entries.to_dict("records")
    best = entries[0]
    tied = [e["model"] for e in entries[1:] if e["tied"]]
    models = [e for e in entries if not e["baseline"]]
    baselines = [e for e in entries if e["baseline"]]
    text = (f"On `{board.dataset}` the best is {best['model']}"
            f"{' (baseline)' if best['baseline'] else ''} at {_score(board, best)} "
            f"{board.metric}")
    text += f", tied (Welch p >= 0.05) with {', '.join(tied)}." if tied else "."
    if baselines:
        top = baselines[0]
        above = sum(e[f"{board.metric}_mean"] * sign(board) > top[f"{board.metric}_mean"]
                    * sign(board) for e in models)
        if top is best and not tied:
            text += " A baseline wins here: no model comes within the best's interval."
        elif top is best:
            text += (" A baseline is the best here: no model beats it on average, and those "
                     "tied with it are not significantly better.")
        elif top["tied"]:
            text += (f" A baseline ties the best here: {top['model']} "
                     f"({_score(board, top)}).")
        else:
            text += (f" The best baseline, {top['model']} ({_score(board, top)}), ranks "
                     f"{top['rank']}; {above} of {len(models)} models score better on "
                     "average.")
    return text


def results_section(runs: pd.DataFrame, store: Any, out: Path | str, status: str = "") -> str:
    """The Results section of the docs' Results page (or a README): ``status`` (which parts
    are finished), the summary across datasets, a ranked table per dataset grouped by task
    family with what it shows, the memory horizons and the Reproduction table, the scaling
    exponents and the backend parity table. Files are named, not linked, so that the text
    reads the same wherever it is placed."""
    special = runs["suite"].isin(SPECIAL)
    boards = leaderboards(runs[~special])
    revisions = ", ".join(sorted(set(runs["git_revision"].dropna()))) or "unknown"
    devices = ", ".join(sorted(set(runs["device_name"].dropna())))
    lines = [f"Generated by `seqzoo reference` from `{Path(out).as_posix()}/` ({len(runs):,} "
             f"rows; {devices}; code revisions {revisions}). Do not edit it by hand: rerun the "
             "command.", "", *([status, ""] if status else [])]
    if boards:
        table = summary(boards)
        lines += ["### Summary across datasets", "",
                  "Mean rank over datasets with its 95% bootstrap interval (datasets "
                  "resampled; a rank is the position by mean); a win is a best that no model "
                  "ties, a tie a model the Welch test cannot tell from the best (p >= 0.05), "
                  "the best included.",
                  "", markdown_table(SUMMARY_HEADER, table.values.tolist())]
        families = _families(runs, store.datasets())
        for family in sorted(set(families[b.dataset] for b in boards)):
            chosen = [b for b in boards if families[b.dataset] == family]
            lines += ["", f"### {family.capitalize()}", "",
                      " ".join(findings(b) for b in chosen)]
            for board in chosen:
                lines += ["", f"#### {board.title}", "", markdown_table(*_board_rows(board))]
                lines += _not_ok(runs[~special], board)
    if boards:
        lines += ["", "### Published anchors", "", *anchors.markdown()]
    tables = memory.memory_tables(runs)
    if tables:
        claimed = {claim.probe for claim in reproduction.CLAIMS}  # shown in Reproduction
        lines += ["", "### Memory and recall", "",
                  "Every probe's full tables (each length, gradient flow, longer test "
                  f"lengths) are in `{Path(out).as_posix()}/leaderboard.md`.",
                  ""]
        for t in (t for t in tables if t.probe not in claimed):
            header, rows = memory.score_rows(t)
            lines += [f"**{t.task}** ({t.metric}, threshold {t.threshold_text()}):", "",
                      memory.findings(t), "", markdown_table(header, rows), ""]
        lines += _demote(reproduction.markdown(tables))
    scaling = scaling_section.scaling(runs)
    if scaling is not None:
        lines += ["", "### Scaling exponents", "", scaling_section.LEGEND, "",
                  scaling_section.findings(scaling), "",
                  markdown_table(*scaling_section.exponent_rows(scaling))]
    frame = parity.parity_frame(runs)
    if frame is not None:
        lines += _demote(parity.markdown(frame))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))  # one blank line between parts


def _budget_text(budget: str) -> str:
    """A stored budget (JSON) in words: epochs, batch, patience, learning rate and caps."""
    b = json.loads(budget)
    words = [f"epochs {b['epochs']}", f"batch {b['batch_size']}",
             f"early stopping patience {b['patience']}", f"learning rate {b['learning_rate']:g}",
             "all training samples" if b.get("max_train") is None
             else f"at most {b['max_train']:,} training samples"]
    if b.get("max_eval") is not None:
        words.append(f"at most {b['max_eval']:,} val and test samples")
    if b.get("max_seconds") is not None:
        words.append(f"at most {b['max_seconds']:g} s of training")
    return ", ".join(words)


def budgets_table(runs: pd.DataFrame) -> str:
    """Markdown: the budget the model rows of each (suite, dataset) trained with, and how
    many models had it; one row per (suite, dataset) when every family had the same."""
    rows = runs[~runs["is_baseline"].astype(bool) & runs["budget"].notna()]
    table = [[suite, dataset, _budget_text(budget), group["model"].nunique()]
             for (suite, dataset, budget), group in rows.groupby(["suite", "dataset", "budget"])]
    return markdown_table(["suite", "dataset", "budget", "models"], table)


def _exit(code: int) -> str:
    """A part's last exit status, in words where it was stopped."""
    return f"{code} (interrupted; resumes)" if code == INTERRUPTED else str(code)


def progress(parts: dict[str, dict[str, Any]], planned: list[str]) -> str:
    """One sentence: which of the ``planned`` parts finished at their last invocation, and
    which are still to run or to finish."""
    done = [name for name in planned if parts.get(name, {}).get("returncode") == 0]
    rest = [name for name in planned if name not in done]
    if not rest:
        return f"Every part finished at its last invocation ({len(done)} parts)."
    return (f"Finished at their last invocation: {', '.join(done) or 'none yet'}. Still to "
            f"run or to finish: {', '.join(rest)}; the command above resumes them.")


def _time_table(parts: dict[str, dict[str, Any]], cell_seconds: dict[str, float]) -> list[str]:
    """The wall time of each part from the ledger beside the run time of its stored cells,
    and both totals."""
    rows = []
    for name in [*parts, *sorted(set(cell_seconds) - set(parts))]:
        p = parts.get(name)
        cells = duration(cell_seconds[name]) if name in cell_seconds else "-"
        rows.append([name, duration(p["seconds"]), p["invocations"], _exit(p["returncode"]),
                     cells,
                     f"`{p['command']}`"] if p else
                    [name, "not run by seqzoo reference", 0, "-", cells, "-"])
    wall = sum(p["seconds"] for p in parts.values())
    return [markdown_table(["part", "wall time", "invocations", "last exit status",
                            "run time of its cells", "command"], rows), "",
            f"Total: {duration(wall)} of wall time; {duration(sum(cell_seconds.values()))} of "
            "run time in the stored cells."]


def reference_readme(runs: pd.DataFrame, store: Any, parts: dict[str, dict[str, Any]],
                     command: str, revision: str | None,
                     cell_seconds: dict[str, float], planned: list[str]) -> str:
    """``results/reference/README.md``: which of the ``planned`` parts are finished, the
    machine, the library versions, the code revisions, the budgets, each part's wall time
    (``parts``, the ledger) and the run time of its stored cells (``cell_seconds``), its
    command, and how to check and resume."""
    prov = provenance(runs, store) if len(runs) else {"versions": [], "devices": [],
                                                      "revisions": []}
    lines = ["# Reference results", "",
             "Every family on every offline dataset (the `standard` suite), every diagnostic "
             "probe's default sweep, the `scale` sweep and the backend parity grid, 3 seeds "
             "where seeds apply, in one store. Regenerate, or resume after an interruption, "
             "with:", "", "```bash", command, "```", "",
             "Rows whose model code changed since they ran are run again; finished cells "
             "are kept. `seqzoo reference --check` re-runs three stored cells and confirms "
             "them within the stored 95% interval.", "", progress(parts, planned), "",
             f"Written at code revision {revision or 'unknown'}; the rows came from "
             f"{', '.join(prov['revisions']) or 'unknown'}.", "", "## Machine and versions", "",
             markdown_table(["device", "name"], [list(d.values()) for d in prov["devices"]]),
             "", markdown_table(["seqzoo", "keras", "backend", "backend version", "python"],
                                [list(v.values()) for v in prov["versions"]]), "",
             "## Budgets", "",
             "What every model row trained with, per suite and dataset, read from the rows: "
             "the same for every family (early stopping on the validation loss, the best "
             "weights restored). A probe's one epoch is its steps times its batch.", "",
             budgets_table(runs), "",
             "## Wall time of each part", "",
             "Wall time is summed over every invocation of `seqzoo reference` (it may span "
             "several sessions); the run time of a part's cells is the sum, over the cells "
             "the store holds, of each cell's time from claim to done, with as many at once "
             "as there were workers. Cells run by the same commands outside `seqzoo "
             "reference` count in the second only.", "",
             *_time_table(parts, cell_seconds), "",
             "Files: `seqzoo.sqlite` (the store, every row with its provenance), "
             "`leaderboard.md`/`.csv`/`.html` (every section), `parts.json` (the ledger "
             "above), and the section CSVs.", ""]
    return "\n".join(lines)
