"""``seqzoo diagnose``: how far back each model remembers, on the diagnostic probes.

Every model trains on the same task at every lag, for the same number of optimizer steps
(one epoch over ``steps x batch`` fresh samples), on the same seeds, through the isolated
workers; each (model, lag, seed) is one cell of suite ``diagnose``. At the largest lag of the
adding task the first seed's runs also measure gradient flow (:mod:`benchmarks.cell.gradflow`) at
initialisation and after training. The report turns the rows into score-vs-lag tables, the
memory horizon per model and the gradient-flow plot (:mod:`results.memory`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from benchmarks.cell.budget import Budget
from benchmarks.cell.checks import check_int, check_ints, check_positive
from benchmarks.cell.settings import DEFAULT_SETTINGS, RunSettings
from benchmarks.data import canonical_id
from benchmarks.grids.plan import PlannedRun, plan_grid
from results.memory import PROBES
from results.store import Store

SUITE = "diagnose"
TASKS = tuple(PROBES)


@dataclass(frozen=True)
class DiagnoseSettings:
    """One memory-length sweep: the probe, its lags, and the equal training budget."""

    task: str
    lags: tuple[int, ...]
    steps: int = 600
    batch_size: int = 32
    learning_rate: float = 1e-3
    eval_samples: int = 1000

    def check(self) -> None:
        """``ValueError`` naming the first bad setting."""
        if self.task not in TASKS:
            raise ValueError(f"--task {self.task!r} is not allowed; use one of "
                             f"{', '.join(TASKS)}")
        check_ints("--lags", self.lags, 2)
        for flag, value in (("--steps", self.steps), ("--batch-size", self.batch_size),
                            ("--eval-samples", self.eval_samples)):
            check_int(flag, value)
        check_positive("--learning-rate", self.learning_rate)

    def dataset(self, lag: int) -> str:
        """The dataset id of one lag: ``steps x batch`` training samples, one epoch."""
        n = self.eval_samples
        return canonical_id(f"{self.task}:lag={lag},n_train={self.steps * self.batch_size},"
                            f"n_val={n},n_test={n}")

    def budget(self) -> Budget:
        """The same budget at every lag: one epoch of ``steps`` optimizer steps."""
        return Budget(epochs=1, batch_size=self.batch_size, patience=1,
                      learning_rate=self.learning_rate)


def plan_diagnose(models: list[str], settings: DiagnoseSettings, seeds: list[int],
                  store: Store, where: tuple[str, str],
                  run_settings: RunSettings = DEFAULT_SETTINGS) -> list[PlannedRun]:
    """Every (lag, model, seed) cell on ``where`` (backend, device kind); gradient flow on the
    first seed at the adding task's largest lag."""
    settings.check()
    lags = sorted(set(settings.lags))
    datasets = {settings.dataset(lag): settings.budget() for lag in lags}
    plan = plan_grid(models, datasets, seeds, SUITE, store, where, baselines=False,
                     settings=run_settings)
    if settings.task != "adding":
        return plan
    longest = settings.dataset(lags[-1])
    return [replace(p, job={"gradient_flow": True})
            if p.dataset == longest and p.seed == seeds[0] else p for p in plan]
