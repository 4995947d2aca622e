"""The --dry-run estimate: pending cells priced by the median of their finished twins."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from benchmarks.grids.estimate import UNMEASURED, Estimate, estimate, parse_wall


@dataclass(frozen=True)
class _Planned:
    model: str
    dataset: str
    seed: int
    key: str
    done: bool


def _durations(*rows: tuple[str, str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["model", "dataset", "hparams_hash", "seconds"])


def test_pending_cells_take_the_median_of_their_finished_twins() -> None:
    durations = _durations(("lstm", "mr", "k1", 100.0), ("lstm", "mr", "k1", 140.0),
                           ("lstm", "mr", "k1", 400.0), ("gru", "mr", "k2", 50.0),
                           ("gru", "mr", "other-budget", 999.0))
    plan = [_Planned("lstm", "mr", 0, "k1", True), _Planned("lstm", "mr", 3, "k1", False),
            _Planned("gru", "mr", 3, "k2", False), _Planned("gru", "jv", 0, "k3", False)]
    found = estimate(plan, durations, workers=2)
    assert found == Estimate(to_run=3, measured=2, cell_seconds=140.0 + 50.0, workers=2)
    assert found.wall_seconds == 95.0
    line = found.line()
    assert "2 of the 3 cells to run take about 0h02m with 2 worker(s)" in line
    assert f"1 {UNMEASURED}" in line
    assert parse_wall(line) == 95.0


def test_nothing_measured_and_nothing_left_are_said_not_guessed() -> None:
    plan = [_Planned("lstm", "mr", 0, "k1", False)]
    none = estimate(plan, _durations(), workers=1)
    assert none.measured == 0 and UNMEASURED in none.line() and parse_wall(none.line()) is None
    done = estimate([_Planned("lstm", "mr", 0, "k1", True)], _durations(), workers=1)
    assert done.line() == "estimate: nothing left to run"


def test_parse_wall_reads_a_line_a_console_wrapped() -> None:
    line = Estimate(4, 4, 7200.0, 1).line()
    wrapped = line.replace(" s of wall", "\ns of\n  wall")
    assert parse_wall(wrapped) == 7200.0 and "2h00m" in line
