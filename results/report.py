"""``seqzoo report``: leaderboard.md, leaderboard.csv and a self-contained leaderboard.html."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from results import memory, parity, peers, reproduction
from results import scaling as scaling_section
from results.leaderboard import (
    COST,
    SECONDARY,
    Board,
    display_rows,
    failures,
    leaderboards,
    summary,
)
from results.memory import MemoryTable
from results.scaling import Scaling
from results.store import Store
from results.tables import html_table, markdown_table

LEGEND = ("Quality is the mean over seeds ± the 95% t-distribution interval (n seeds). Rank is "
          "the position by mean; 1= marks a best that others tie, and 4 (=1) a model not "
          "significantly different from the best (Welch t-test, p >= 0.05). "
          "Params in millions; train samples/s is the steady-state median (first epoch's "
          "compile excluded); p50 latency at batch 1 in ms; peak memory in MiB. Baselines are "
          "non-neural and marked (baseline).")


SUMMARY_HEADER = ["model", "baseline", "wins", "ties", "datasets", "mean rank",
                  "mean rank 95% bootstrap"]
SPLIT_ORDER = {"train": 0, "val": 1, "test": 2}
STYLE = ("body{font-family:system-ui,sans-serif;margin:2em auto;max-width:75em;color:#222}"
         "table{border-collapse:collapse;margin:1em 0;font-size:.9em}"
         "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
         "td:nth-child(2),th:nth-child(2){text-align:left}th{background:#f3f3f3}"
         "img{max-width:100%}.note{color:#666;font-size:.85em}")


class ReportError(ValueError):
    """Nothing to report: an empty store or a filter that matches no run."""


def load_runs(store: Store, suite: str | None = None, datasets: list[str] | None = None
              ) -> pd.DataFrame:
    """The store's runs, filtered by suite and datasets; :class:`ReportError` if none."""
    runs = store.runs(**({"suite": suite} if suite else {}))
    if datasets:
        runs = runs[runs["dataset"].isin(datasets)]
    if runs.empty:
        what = " and ".join(filter(None, [f"suite {suite}" if suite else "",
                                          f"datasets {', '.join(datasets)}" if datasets else ""]))
        raise ReportError(f"store {store.path} has no runs{' for ' + what if what else ''}; "
                          "run `seqzoo run --suite quick` first")
    return runs


def provenance(runs: pd.DataFrame, store: Store) -> dict[str, Any]:
    """Per dataset its source, split sizes and fingerprint; package versions; devices."""
    known = store.datasets()
    data = []
    for (name, fingerprint), _ in runs.groupby(["dataset", "dataset_fingerprint"]):
        info = known.get(fingerprint, {})
        sizes = info.get("sizes", {})
        sizes = {k: sizes[k] for k in sorted(sizes, key=lambda k: (SPLIT_ORDER.get(k, 9), k))}
        data.append({"dataset": name, "source": info.get("source", "unknown"),
                     "splits": " / ".join(f"{k} {v:,}" for k, v in sizes.items()) or "unknown",
                     "fingerprint": fingerprint})
    versions = runs[["seqzoo_version", "keras_version", "backend", "backend_version",
                     "python_version"]].drop_duplicates().to_dict("records")
    devices = runs[["device", "device_name"]].drop_duplicates().to_dict("records")
    revisions = sorted(set(runs["git_revision"].dropna()))
    return {"datasets": data, "versions": versions, "devices": devices, "revisions": revisions}


@dataclass
class Sections:
    """What one report holds: leaderboards, memory length, scaling, speed against PyTorch and
    backend parity (any may be empty)."""

    boards: list[Board]
    memory: list[MemoryTable]
    scaling: Scaling | None
    peers: pd.DataFrame | None = None
    parity: pd.DataFrame | None = None


def _markdown(parts_in: Sections, fails: pd.DataFrame, prov: dict[str, Any]) -> str:
    boards = parts_in.boards
    parts = ["# seqzoo leaderboard", "", LEGEND, "", "## Summary across datasets", "",
             markdown_table(SUMMARY_HEADER,
                            summary(boards).values.tolist())]
    for board in boards:
        header, rows = display_rows(board)
        parts += ["", f"## {board.title}", "", markdown_table(header, rows)]
    if parts_in.memory:
        parts += memory.markdown(parts_in.memory)
        parts += reproduction.markdown(parts_in.memory)
    if parts_in.scaling is not None:
        parts += scaling_section.markdown(parts_in.scaling)
    if parts_in.peers is not None:
        parts += peers.markdown(parts_in.peers)
    if parts_in.parity is not None:
        parts += parity.markdown(parts_in.parity)
    parts += ["", "## Failed and diverged runs", ""]
    parts.append(markdown_table(list(fails.columns), fails.values.tolist()) if len(fails)
                 else "None.")
    parts += ["", "## Provenance", "",
              markdown_table(["dataset", "source", "splits", "fingerprint"],
                             [list(d.values()) for d in prov["datasets"]]), "",
              markdown_table(["seqzoo", "keras", "backend", "backend version", "python"],
                             [list(v.values()) for v in prov["versions"]]), "",
              markdown_table(["device", "name"], [list(d.values()) for d in prov["devices"]]),
              "", f"git revisions: {', '.join(prov['revisions']) or 'unknown'}", ""]
    return "\n".join(parts)


def _csv(boards: list[Board]) -> pd.DataFrame:
    frames = []
    for board in boards:
        second = SECONDARY[board.metric]
        entries = board.entries.rename(columns={
            f"{board.metric}_mean": "metric_mean", f"{board.metric}_ci95": "metric_ci95",
            f"{second}_mean": "secondary_mean"})
        entries.insert(0, "secondary", second)
        entries.insert(0, "metric", board.metric)
        entries.insert(0, "dataset", board.dataset)
        entries.insert(0, "suite", board.suite)
        frames.append(entries)
    return pd.concat(frames, ignore_index=True)


def _html(parts_in: Sections, fails: pd.DataFrame, prov: dict[str, Any]) -> str:
    from results.plots import scatter_png

    boards = parts_in.boards
    overall = html_table(SUMMARY_HEADER,
                          summary(boards).values.tolist())
    sections = [f"<h2>Summary across datasets</h2>{overall}"]
    for board in boards:
        header, rows = display_rows(board)
        sections.append(
            f"<h2>{html.escape(board.title)}</h2>{html_table(header, rows)}"
            f"<img alt='{html.escape(board.title)}: quality vs train throughput' "
            f"src='data:image/png;base64,{scatter_png(board)}'>"
            "<p class='note'>Grey dots: single seeds. Dotted lines: baselines. Red: Pareto "
            "front (no model is both faster and better).</p>")
    if parts_in.memory:
        sections.append(memory.html(parts_in.memory))
        sections.append(reproduction.html(parts_in.memory))
    if parts_in.scaling is not None:
        sections.append(scaling_section.html(parts_in.scaling))
    if parts_in.peers is not None:
        sections.append(peers.html_section(parts_in.peers))
    if parts_in.parity is not None:
        sections.append(parity.html_section(parts_in.parity))
    sections.append("<h2>Failed and diverged runs</h2>" + (
        html_table(list(fails.columns), fails.values.tolist()) if len(fails) else "<p>None.</p>"))
    sections.append(
        "<h2>Provenance</h2>"
        + html_table(["dataset", "source", "splits", "fingerprint"],
                      [list(d.values()) for d in prov["datasets"]])
        + html_table(["seqzoo", "keras", "backend", "backend version", "python"],
                      [list(v.values()) for v in prov["versions"]])
        + html_table(["device", "name"], [list(d.values()) for d in prov["devices"]])
        + f"<p>git revisions: {html.escape(', '.join(prov['revisions']) or 'unknown')}</p>")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>seqzoo leaderboard</title><style>{STYLE}</style></head><body>"
            f"<h1>seqzoo leaderboard</h1><p>{html.escape(LEGEND)}</p>{''.join(sections)}"
            "</body></html>")


def write_report(store: Store, out: str | Path, suite: str | None = None,
                 datasets: list[str] | None = None) -> list[Path]:
    """Write leaderboard.md, leaderboard.csv and leaderboard.html into ``out``, and, when the
    store holds ``seqzoo diagnose``, ``seqzoo scale``, ``seqzoo perf`` or backend-parity rows,
    their sections in the Markdown and HTML plus memory_length.csv (and reproduction.csv, for
    the recall probes), scaling.csv, peers.csv and parity.csv; the paths written."""
    runs = load_runs(store, suite, datasets)
    special = runs["suite"].isin([memory.SUITE, scaling_section.SUITE, peers.SUITE,
                                  parity.SUITE])
    parts = Sections(leaderboards(runs[~special]), memory.memory_tables(runs),
                     scaling_section.scaling(runs), peers.peers_frame(runs),
                     parity.parity_frame(runs))
    boards = parts.boards
    fails = failures(runs[~special | runs["suite"].isin([memory.SUITE, peers.SUITE,
                                                         parity.SUITE])])
    prov = provenance(runs, store)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "leaderboard.md", out / "leaderboard.csv", out / "leaderboard.html"]
    paths[0].write_text(_markdown(parts, fails, prov))
    (_csv(boards) if boards else pd.DataFrame(columns=["suite", "dataset", *COST])).to_csv(
        paths[1], index=False)
    paths[2].write_text(_html(parts, fails, prov))
    if parts.memory:
        paths.append(out / "memory_length.csv")
        memory.csv_frame(parts.memory).to_csv(paths[-1], index=False)
        claims = reproduction.frame(parts.memory)
        if len(claims):
            paths.append(out / "reproduction.csv")
            claims.to_csv(paths[-1], index=False)
    if parts.scaling is not None:
        paths.append(out / "scaling.csv")
        parts.scaling.points.merge(parts.scaling.exponents, on="model").to_csv(paths[-1],
                                                                               index=False)
    if parts.peers is not None:
        paths.append(out / "peers.csv")
        parts.peers.to_csv(paths[-1], index=False)
    if parts.parity is not None:
        paths.append(out / "parity.csv")
        parts.parity.to_csv(paths[-1], index=False)
    return paths
