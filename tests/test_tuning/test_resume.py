"""Kill a running search for real, resume it: every trial exactly once, none lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from shapes import TINY_BUDGET

from results.store import Store
from tuning.search import TuneSettings, tune

SETTINGS = TuneSettings(("lstm",), "mr_polarity", trials=6, budget=TINY_BUDGET)
SCRIPT = textwrap.dedent("""
    import sys
    from results.store import Store
    from shapes import TINY_BUDGET
    from tuning.search import TuneSettings, tune
    settings = TuneSettings(("lstm",), "mr_polarity", trials=6, budget=TINY_BUDGET)
    tune(settings, Store(sys.argv[1]), sys.argv[2], rerun_seeds=())
""")


def _finished(path) -> int:
    try:
        return len(Store(path).rows("tuning_trials"))
    except Exception:  # not created yet
        return 0


@pytest.mark.slow  # ~80 s: a search killed mid-trial
def test_resume_after_kill(tmp_path, prepared) -> None:
    prepared("mr_polarity")
    store_path, directory = tmp_path / "s.sqlite", tmp_path / "dir"
    tests = os.path.dirname(os.path.dirname(__file__))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-c", SCRIPT, str(store_path), str(directory)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _finished(store_path) < 2 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    child.send_signal(signal.SIGKILL)  # mid-search: a trial is running or about to
    child.wait()
    before = Store(store_path).rows("tuning_trials")
    assert 2 <= len(before) < SETTINGS.trials, "the search ended before it could be killed"

    tune(SETTINGS, Store(store_path), directory, resume=True, rerun_seeds=())

    trials = Store(store_path).rows("tuning_trials")
    assert sorted(trials["trial_id"]) == [str(i) for i in range(SETTINGS.trials)]
    assert set(trials["status"]) == {"COMPLETED"}
    kept = trials.set_index("trial_id").loc[before["trial_id"]]
    assert list(kept["wall_seconds"]) == list(before["wall_seconds"])  # not re-run
    executions = Store(store_path).rows("tuning_executions")
    assert sorted(executions["trial_id"]) == sorted(trials["trial_id"])  # once each
    # a finished search resumed again runs nothing more
    tune(SETTINGS, Store(store_path), directory, resume=True, rerun_seeds=())
    assert len(Store(store_path).rows("tuning_executions")) == SETTINGS.trials
