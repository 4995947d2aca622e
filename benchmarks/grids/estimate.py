"""How long a planned grid will take, from the cells of the same key the store has finished.

A cell's seconds are its wall time in the queue, claim to done (build, data, training and
evaluation), as the store's cells table records them. A planned cell not yet run takes the
median of the finished cells with its model, dataset and run key: the other seeds of the same
cell, run on this store's machines. So a one-seed pilot (``--seeds 0``) estimates the rest of
a grid; a cell with no finished twin is counted as not measured, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from results.tables import duration

UNMEASURED = "not measured yet"
#: the part of :meth:`Estimate.line` that :func:`parse_wall` reads back
_WALL = re.compile(r"\(([\d,]+) s of wall time\)")


@dataclass(frozen=True)
class Estimate:
    """The cells still to run, how many of them have a measured twin, and their seconds."""

    to_run: int
    measured: int
    cell_seconds: float
    workers: int

    @property
    def wall_seconds(self) -> float:
        """The measured cells' seconds shared by the workers (cells run one per worker)."""
        return self.cell_seconds / self.workers

    def line(self) -> str:
        """One sentence for a ``--dry-run``; it says :data:`UNMEASURED` when some cells have
        no measured twin."""
        if not self.to_run:
            return "estimate: nothing left to run"
        if not self.measured:
            return (f"estimate: {self.to_run} cells to run, {UNMEASURED} (no finished cell of "
                    "the same key; a one-seed pilot measures them)")
        unmeasured = self.to_run - self.measured
        gap = f"; {unmeasured} {UNMEASURED} (no finished cell of the same key)" \
            if unmeasured else ""
        return (f"estimate: {self.measured} of the {self.to_run} cells to run take about "
                f"{duration(self.wall_seconds)} with {self.workers} worker(s) "
                f"({self.wall_seconds:,.0f} s of wall time), at the median pace of the "
                f"finished cells of the same key{gap}")


def estimate(plan: list[Any], durations: pd.DataFrame, workers: int) -> Estimate:
    """The :class:`Estimate` of the planned cells not yet done (``plan``: objects with
    ``model``, ``dataset``, ``key`` and ``done``), from the finished cells' ``durations``
    (:meth:`~results.queue.WorkQueue.durations`)."""
    medians = durations.groupby(["model", "dataset", "hparams_hash"])["seconds"].median()
    pending = [p for p in plan if not p.done]
    known = [float(medians[(p.model, p.dataset, p.key)]) for p in pending
             if (p.model, p.dataset, p.key) in medians.index]
    return Estimate(len(pending), len(known), sum(known), workers)


def parse_wall(text: str) -> float | None:
    """The wall seconds an :meth:`Estimate.line` in ``text`` states, if it states any."""
    found = _WALL.search(" ".join(text.split()))  # a console may have wrapped the line
    return float(found.group(1).replace(",", "")) if found else None
