"""``seqzoo report --tuning``: tuning.md, tuning.csv and a self-contained tuning.html."""

from __future__ import annotations

import html
from pathlib import Path

from results.report import STYLE, html_table
from results.store import Store
from results.tables import markdown_table
from results.tuning import SearchSummary, csv_frame, display_rows, tuning_summaries

LEGEND = ("Each model got the same tuner, trial budget, training budget and seed. The default "
          "and the tuned config (the best trial's hyperparameters and learning rate) are both "
          "re-run through the benchmark harness on the same seeds and scored on the test "
          "split: mean ± 95% t-interval over the seeds (seeds: how many; default/tuned when "
          "they differ). Delta is tuned minus default; p is Welch's t-test between them. The "
          "best validation objective is the best trial's score (mean over its executions). "
          "Trials ok/all counts trials that completed; search s is the wall time of the "
          "search, trial s the sum of the trials' wall times.")


#: model and hyperparameter columns read as text, the rest as numbers
ALIGN = ("td:first-child,th:first-child,td:last-child,th:last-child{text-align:left}"
         "td:nth-child(2),th:nth-child(2){text-align:right}")


def _markdown(summaries: list[SearchSummary]) -> str:
    parts = ["# seqzoo tuning comparison", "", LEGEND]
    for s in summaries:
        header, rows = display_rows(s)
        parts += ["", f"## {s.title}", "", markdown_table(header, rows)]
    return "\n".join(parts) + "\n"


def _html(summaries: list[SearchSummary]) -> str:
    from results.plots import best_so_far_png

    sections = []
    for s in summaries:
        header, rows = display_rows(s)
        png = best_so_far_png(s.curves, s.objective, s.higher_objective,
                              f"{s.settings['dataset']}: {s.settings['tuner']} search "
                              f"({s.search_id})")
        sections.append(
            f"<h2>{html.escape(s.title)}</h2>{html_table(header, rows)}"
            f"<img alt='{html.escape(s.title)}: best {html.escape(s.objective)} so far per "
            f"trial' src='data:image/png;base64,{png}'>")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>seqzoo tuning comparison</title><style>{STYLE}{ALIGN}</style></head><body>"
            f"<h1>seqzoo tuning comparison</h1><p>{html.escape(LEGEND)}</p>{''.join(sections)}"
            "</body></html>")


def write_tuning_report(store: Store, out: str | Path, search: str | None = None
                        ) -> list[Path]:
    """Write tuning.md, tuning.csv and tuning.html for every search (or ``search``) into
    ``out``; their paths."""
    summaries = tuning_summaries(store, search)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "tuning.md", out / "tuning.csv", out / "tuning.html"]
    paths[0].write_text(_markdown(summaries))
    csv_frame(summaries).to_csv(paths[1], index=False)
    paths[2].write_text(_html(summaries))
    return paths
