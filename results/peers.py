"""The report's "Speed against PyTorch" section, from ``seqzoo perf`` rows (suite ``peers``).

One line per device, shape and model: for each Keras backend, the zoo's train and inference
samples/s over its hand-written PyTorch peer's (above 1: the zoo is faster), from the latest
comparison stored for that backend. The PyTorch version and thread count are shown with it.
"""

from __future__ import annotations

import html
import json

import pandas as pd

from results.tables import markdown_table

SUITE = "peers"
NOTE = ("Ratios are zoo / hand-written PyTorch samples/s (above 1: the zoo is faster), medians "
        "of repeated epochs after a warm-up, both sides in one process in alternating order, "
        "with the same trainable parameter count, batch, optimizer and loss.")


def peers_frame(runs: pd.DataFrame) -> pd.DataFrame | None:
    """The latest ok comparison per backend, device, shape and model, or ``None``."""
    rows = runs[(runs["suite"] == SUITE) & (runs["status"] == "ok")]
    if rows.empty:
        return None
    found = pd.DataFrame([json.loads(extra) for extra in rows.sort_values("id")["extra"]])
    keys = ["backend", "device", "shape", "model"]
    return found.drop_duplicates(keys, keep="last").sort_values(keys).reset_index(drop=True)


def table(frame: pd.DataFrame) -> tuple[list[str], list[list]]:
    """Header and rows: device, shape, model, then train and infer ratios per backend."""
    backends = sorted(frame["backend"].unique())
    header = ["device", "shape", "model"] + [f"{b} {what}" for b in backends
                                             for what in ("train", "infer")]
    rows = []
    for (device, shape, model), group in frame.groupby(["device", "shape", "model"], sort=True):
        by_backend = group.set_index("backend")
        row: list = [device, shape, model]
        for backend in backends:
            if backend in by_backend.index:
                entry = by_backend.loc[backend]
                row += [f"{entry['train_ratio']:.2f}", f"{entry['infer_ratio']:.2f}"]
            else:
                row += ["", ""]
        rows.append(row)
    return header, rows


def _versions(frame: pd.DataFrame) -> str:
    pairs = frame[["torch_version", "torch_threads"]].drop_duplicates().values.tolist()
    return "; ".join(f"PyTorch {version}, {threads} threads" for version, threads in pairs)


def markdown(frame: pd.DataFrame) -> list[str]:
    """The section as Markdown lines."""
    header, rows = table(frame)
    return ["", "## Speed against PyTorch", "", f"{NOTE} {_versions(frame)}.", "",
            markdown_table(header, rows)]


def html_section(frame: pd.DataFrame) -> str:
    """The section as escaped HTML."""
    from results.tables import html_table

    header, rows = table(frame)
    return (f"<h2>Speed against PyTorch</h2><p class='note'>{html.escape(NOTE)} "
            f"{html.escape(_versions(frame))}.</p>{html_table(header, rows)}")
