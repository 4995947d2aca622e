"""``seqzoo diagnose``: how far back each model remembers, on the diagnostic probes.

Every model trains on the same task at every point of the sweep (a lag, or a sequence length),
for the same number of optimizer steps (one epoch over ``steps x batch`` fresh samples), on the
same seeds, through the isolated workers; each (model, point, seed) is one cell of suite
``diagnose``. At the largest lag of the adding task the first seed's runs also measure gradient
flow (:mod:`benchmarks.cell.gradflow`) at initialisation and after training. The report turns
the rows into score-vs-point tables, the memory horizon per model and the gradient-flow plot
(:mod:`results.memory`).

The probes' defaults (:data:`PRESETS`) are sized for a CPU; ``paper`` presets hold each
paper's own setting, for a GPU. MQAR sweeps length with kv = length / ``kv_every``: 16 on the
paper preset, Zoology's grid ((64, 4), (128, 8), (256, 16)); a fixed kv replaces the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from benchmarks.cell.budget import Budget
from benchmarks.cell.checks import check_int, check_ints, check_positive
from benchmarks.cell.settings import DEFAULT_SETTINGS, RunSettings
from benchmarks.data import canonical_id, dataset_class
from benchmarks.grids.plan import PlannedRun, plan_config, plan_grid
from results.memory import PROBES
from results.store import Store

SUITE = "diagnose"
TASKS = tuple(PROBES)


@dataclass(frozen=True)
class Preset:
    """A probe's default sweep: the points, the fixed dataset parameters, the budget,
    hyperparameters that replace a model's defaults on this probe (``hparams``), and for MQAR
    the kv of each length (length / ``kv_every``)."""

    points: tuple[int, ...]
    params: dict[str, Any] = field(default_factory=dict)
    steps: int = 600
    test_lengths: tuple[int, ...] = ()
    batch_size: int = 32
    learning_rate: float = 1e-3
    hparams: dict[str, dict[str, Any]] = field(default_factory=dict)
    kv_every: int = 16


LAGS = (50, 100, 200, 400, 800)
#: the recall probes' papers train two-layer models of every kind (Gu & Dao 2023 §4.1, Arora
#: et al. 2023 §3); the zoo's modern families have depth 2 by default, its transformer 1 layer,
#: and an induction head needs two attention layers (Olsson et al. 2022)
TWO_LAYERS = {"transformer": {"num_layers": 2}}
#: Zoology's attention baseline (``zoology/mixers/attention.py``: ``MHA(num_heads=1,
#: dropout=0.0)``), two layers; with the zoo's 4 heads and dropout 0.1 the transformer stayed
#: at 1/kv on MQAR (L = 32 and 64, 1,500-4,500 steps), with one head and no dropout it learned
#: it at L = 32 (one seed: 0.81 after 4,000 steps)
ZOOLOGY_ATTENTION = {"transformer": {"num_layers": 2, "num_heads": 1, "dropout": 0.0}}
#: per probe, ``cpu`` (the default) and ``paper`` (the published setting, for a GPU)
PRESETS: dict[str, dict[str, Preset]] = {
    "adding": {"cpu": Preset(LAGS)},
    "delayed_recall": {"cpu": Preset(LAGS)},
    # Gu & Dao 2023 §4.1.1: L = 4096, M = 16, A = 16, 400k steps of batch 64 (two layers, D = 64)
    # cpu: the smallest setting where, in one seed, mamba solved it (0.998) and s4d did not
    # (0.851) within 1,500 steps, about 7 minutes a cell here
    # control: the cpu preset with the tokens at fixed positions (variable=false), which a
    # time-invariant model should copy; its 6^4 = 1,296 inputs are all seen in training
    "selective_copy": {"cpu": Preset((32,), {"tokens": 4, "vocab": 8}, steps=1500,
                                     hparams=TWO_LAYERS),
                       "control": Preset((32,), {"tokens": 4, "vocab": 8, "variable": False},
                                         steps=1500, hparams=TWO_LAYERS),
                       "paper": Preset((4096,), {"tokens": 16, "vocab": 16}, steps=400_000,
                                       batch_size=64, hparams=TWO_LAYERS)},
    # Arora et al. 2023, Figure 2: V = 8192, (L, kv) in (64, 4), (128, 8), (256, 16), the
    # attention baseline one head without dropout
    # cpu: (L, kv) in (16, 2), (32, 4) and V = 64 (> L, as Zoology requires), 3,000 steps: in
    # one seed the attention baseline stayed at 1/kv at L = 64 for 3,000 steps (V = 128) and
    # learned L = 32 only after some 1,000; at V = 8192 the per-position head over 8,192
    # classes dominates a CPU run
    "mqar": {"cpu": Preset((16, 32), {"vocab": 64}, steps=3000, hparams=ZOOLOGY_ATTENTION,
                           kv_every=8),
             "paper": Preset((64, 128, 256), {"vocab": 8192}, steps=20_000, batch_size=64,
                             hparams=ZOOLOGY_ATTENTION)},
    # Gu & Dao 2023 §4.1.2: vocabulary 16, trained at 256 (tested at 2^6..2^20)
    # cpu: in one seed mamba trained at 64 for 1,500 steps held 1.0 to 256 and 0.92 at 1024
    "induction_heads": {"cpu": Preset((64,), {"vocab": 16}, steps=1500,
                                      test_lengths=(128, 256, 512, 1024, 2048, 4096),
                                      hparams=TWO_LAYERS),
                        "paper": Preset((256,), {"vocab": 16}, steps=50_000, batch_size=8,
                                        test_lengths=tuple(2**k for k in range(6, 21)),
                                        hparams=TWO_LAYERS)},
}


def preset(task: str, name: str = "cpu") -> Preset:
    """The preset ``name`` of ``task``; ``ValueError`` naming what exists."""
    if task not in TASKS:
        raise ValueError(f"--task {task!r} is not allowed; use one of {', '.join(TASKS)}")
    presets = PRESETS[task]
    if name not in presets:
        raise ValueError(f"--preset {name!r} is not allowed for {task}; use one of "
                         f"{', '.join(presets)}")
    return presets[name]


@dataclass(frozen=True)
class DiagnoseSettings:
    """One memory sweep: the probe, its points (lags, or lengths), fixed dataset parameters,
    the equal training budget, per model the hyperparameters that replace its defaults
    (``hparams``: (model, ((key, value), ...)) pairs), and MQAR's kv per length
    (length / ``kv_every``, unless ``params`` fixes kv)."""

    task: str
    lags: tuple[int, ...]
    steps: int = 600
    batch_size: int = 32
    learning_rate: float = 1e-3
    eval_samples: int = 1000
    params: tuple[tuple[str, Any], ...] = ()
    test_lengths: tuple[int, ...] = ()
    test_samples: int = 256
    hparams: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    kv_every: int = 16

    @property
    def sweep(self) -> str:
        """The dataset parameter the sweep varies: ``lag`` or ``length``."""
        return dataset_class(self.task).sweep

    def check(self) -> None:
        """``ValueError`` naming the first bad setting (a bad dataset parameter included)."""
        if self.task not in TASKS:
            raise ValueError(f"--task {self.task!r} is not allowed; use one of "
                             f"{', '.join(TASKS)}")
        check_ints(f"--{self.sweep}s", self.lags, 2)
        for flag, value in (("--steps", self.steps), ("--batch-size", self.batch_size),
                            ("--eval-samples", self.eval_samples)):
            check_int(flag, value)
        check_positive("--learning-rate", self.learning_rate)
        if self.test_lengths:
            if self.task != "induction_heads":
                raise ValueError(f"--test-lengths is not allowed for {self.task}; only "
                                 "induction_heads tests at other lengths")
            check_ints("--test-lengths", self.test_lengths, 4)
            check_int("--test-samples", self.test_samples)
        cls = dataset_class(self.task)
        for key, _ in self.params:
            if key not in cls.defaults or key == self.sweep or key.startswith("n_"):
                allowed = [k for k in cls.defaults if k != self.sweep and not k.startswith("n_")]
                raise ValueError(f"--param {key} is not allowed for {self.task}; use one of "
                                 f"{', '.join(allowed) or '(none)'}")
        for point in self.lags:
            cls(**self.point(point))  # the dataset's own checks, one line each

    def point(self, value: int) -> dict[str, Any]:
        """The dataset parameters of one point of the sweep (MQAR: kv = length / kv_every
        unless fixed)."""
        params = {self.sweep: value, **dict(self.params)}
        if self.task == "mqar" and "kv" not in params:
            params["kv"] = max(value // self.kv_every, 1)
        return params

    def dataset(self, value: int) -> str:
        """The dataset id of one point: ``steps x batch`` training samples, one epoch."""
        n = self.eval_samples
        given = ",".join(f"{k}={v}" for k, v in self.point(value).items())
        return canonical_id(f"{self.task}:{given},n_train={self.steps * self.batch_size},"
                            f"n_val={n},n_test={n}")

    def extrapolation(self) -> list[str]:
        """The dataset ids the trained weights are tested on besides their own length:
        ``test_samples`` test sequences at each of ``test_lengths``."""
        fixed = ",".join(f"{k}={v}" for k, v in self.params)
        return [canonical_id(f"{self.task}:length={n}{',' + fixed if fixed else ''},n_train=1,"
                             f"n_val=1,n_test={self.test_samples}") for n in self.test_lengths]

    def budget(self) -> Budget:
        """The same budget at every point: one epoch of ``steps`` optimizer steps."""
        return Budget(epochs=1, batch_size=self.batch_size, patience=1,
                      learning_rate=self.learning_rate)


def plan_diagnose(models: list[str], settings: DiagnoseSettings, seeds: list[int],
                  store: Store, where: tuple[str, str],
                  run_settings: RunSettings = DEFAULT_SETTINGS) -> list[PlannedRun]:
    """Every (point, model, seed) cell on ``where`` (backend, device kind); gradient flow on
    the first seed at the adding task's largest lag; the test lengths of induction heads on
    every cell."""
    settings.check()
    lags = sorted(set(settings.lags))
    datasets = {settings.dataset(lag): settings.budget() for lag in lags}
    plan = plan_grid(models, datasets, seeds, SUITE, store, where, baselines=False,
                     settings=run_settings)
    overrides = {model: dict(items) for model, items in settings.hparams if model in models}
    if overrides:
        configs = {(model, dataset): plan_config(model, dataset, budget, hparams, seeds, SUITE,
                                                 store, where, run_settings)
                   for model, hparams in overrides.items() for dataset, budget in datasets.items()}
        plan = [configs[p.model, p.dataset][seeds.index(p.seed)] if p.model in overrides else p
                for p in plan]
    if settings.test_lengths:
        return [replace(p, job={"extrapolate": settings.extrapolation()}) for p in plan]
    if settings.task != "adding":
        return plan
    longest = settings.dataset(lags[-1])
    return [replace(p, job={"gradient_flow": True})
            if p.dataset == longest and p.seed == seeds[0] else p for p in plan]
