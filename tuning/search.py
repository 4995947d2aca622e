"""``seqzoo tune``: equal-budget keras-tuner searches, every trial stored, best configs re-run.

One call tunes each model in turn with the same tuner, trial budget, training budget and seed.
Every execution and trial lands in the results store as it ends; the search's settings sit in
``--dir`` (``seqzoo-search.json``) so ``--resume`` can refuse a different search. After the
searches, each model's default config and its tuned best are re-run through the harness on
several seeds, so both numbers carry a confidence interval.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import keras

import zoo
from benchmarks.cell.devices import select_device
from benchmarks.cell.harness import Budget, run_key
from benchmarks.data import Dataset, dataset_class, open_dataset
from benchmarks.grids.plan import Execution, plan_config, run_grid
from benchmarks.grids.workers.pool import PoolSettings
from benchmarks.grids.workers.slots import plan_slots
from results.record import utc_now
from results.store import Store
from tuning.hypermodel import ZooHyperModel, objective_for, search_space_of
from tuning.space import check_search_space
from tuning.tuners import TUNERS, make_tuner

MANIFEST = "seqzoo-search.json"
ROLES = ("chief", "worker")
ENV_ID, ENV_IP, ENV_PORT = "KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"


@dataclass(frozen=True)
class TuneSettings:
    """What makes two searches the same search: every model gets all of it equally.

    Attributes:
        models: zoo model ids, tuned one after another.
        dataset: the dataset id.
        tuner: ``random``, ``hyperband`` or ``bayesian``.
        trials: trials per model (random and bayesian).
        max_epochs: Hyperband's largest epoch budget per trial (hyperband only).
        executions: trainings per trial (seeds ``seed``, ``seed + 1``, ...).
        seed: the tuner's seed and the base training seed.
        budget: the training budget of each execution (its epochs are Hyperband's max_epochs).
    """

    models: tuple[str, ...]
    dataset: str
    tuner: str = "random"
    trials: int | None = 10
    max_epochs: int | None = None
    executions: int = 1
    seed: int = 0
    budget: Budget = field(default_factory=Budget)

    def check(self) -> None:
        """Raise a one-line ``ValueError`` for any setting that cannot run."""
        if self.tuner not in TUNERS:
            raise ValueError(f"unknown tuner {self.tuner!r}; choose one of {', '.join(TUNERS)}")
        if not self.models:
            raise ValueError("give at least one model to tune")
        for model in self.models:
            search_space_of(model)
        dataset_class(self.dataset)
        if self.tuner == "hyperband":
            if self.trials is not None:
                raise ValueError("hyperband sets its own number of trials from --max-epochs; "
                                 "drop --trials")
            _at_least("max_epochs", self.max_epochs, 2)
        else:
            if self.max_epochs is not None:
                raise ValueError(f"--max-epochs is for hyperband; the {self.tuner} tuner takes "
                                 "--trials and --epochs")
            _at_least("trials", self.trials, 1)
        _at_least("executions", self.executions, 1)
        _at_least("epochs", self.budget.epochs, 1)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed {self.seed!r} is not an integer")

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready data (the manifest and the store keep this)."""
        return {**asdict(self), "models": list(self.models)}

    @property
    def search_id(self) -> str:
        """``<dataset>-<tuner>-<hash of all settings>``: equal settings, equal id."""
        digest = hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode())
        return f"{self.dataset}-{self.tuner}-{digest.hexdigest()[:8]}"


def _at_least(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def resolve_role(role: str | None) -> str | None:
    """Set up keras-tuner's distributed environment for ``role``; the role in effect.

    ``chief`` serves the oracle and runs no trials; each ``worker`` asks it for trials. Both
    need ``KERASTUNER_ORACLE_IP`` and ``KERASTUNER_ORACLE_PORT``; a worker without
    ``KERASTUNER_TUNER_ID`` gets ``worker-<host>-<pid>``. With no role but those variables
    set, keras-tuner's own convention applies (``KERASTUNER_TUNER_ID=chief`` is the chief).
    """
    env = os.environ
    if role is None:
        if ENV_IP not in env and ENV_PORT not in env:
            return None
        role = "chief" if env.get(ENV_ID) == "chief" else "worker"
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose chief or worker")
    if not env.get(ENV_IP) or not env.get(ENV_PORT):
        raise ValueError(f"--role {role} needs {ENV_IP} and {ENV_PORT} set to the chief's "
                         "address, e.g. 127.0.0.1 and 8000")
    port = env[ENV_PORT]
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{ENV_PORT}={port!r} is not a port number (1-65535)")
    if role == "chief":
        if env.get(ENV_ID, "chief") != "chief":
            raise ValueError(f"--role chief conflicts with {ENV_ID}={env[ENV_ID]!r}")
        env[ENV_ID] = "chief"
    else:
        if env.get(ENV_ID) == "chief":
            raise ValueError(f"--role worker conflicts with {ENV_ID}=chief")
        env.setdefault(ENV_ID, f"worker-{socket.gethostname()}-{os.getpid()}")
    return role


def _claim_directory(directory: Path, settings: TuneSettings, resume: bool,
                     role: str | None) -> None:
    """Write the manifest, or check the one there against ``settings``.

    A fresh search refuses a folder that already holds one; ``resume`` needs the same one.
    """
    manifest = directory / MANIFEST
    wanted = {"search_id": settings.search_id, **settings.to_dict()}
    if manifest.exists():
        held = json.loads(manifest.read_text())
        if held != wanted:
            changed = [k for k in settings.to_dict() if held.get(k) != wanted[k]]
            raise ValueError(f"{directory} holds search {held.get('search_id', '?')} with other "
                             f"{', '.join(changed)} ({_describe(held)}); use the same settings "
                             "or another --dir")
        if not resume and role != "worker":
            raise ValueError(f"{directory} already holds this search; pass --resume to continue "
                             "it, or choose another --dir")
        return
    if resume:
        raise ValueError(f"--resume: {directory} holds no seqzoo search ({MANIFEST} missing)")
    if role == "worker":  # the chief writes the manifest; a worker only checks it
        return
    directory.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(wanted, indent=1, sort_keys=True))


def _describe(settings: dict[str, Any]) -> str:
    return (f"models {','.join(settings.get('models', []))} on {settings.get('dataset')}, "
            f"tuner {settings.get('tuner')}")


@dataclass
class ModelOutcome:
    """How one model's search ended, in the chief's (or single process's) view."""

    status: str = "ok"
    error: str | None = None
    best_trial: str | None = None
    best_values: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def tune(settings: TuneSettings, store: Store, directory: str | Path, *, resume: bool = False,
         role: str | None = None, rerun_seeds: tuple[int, ...] = (0, 1, 2),
         data_dir: str | None = None, console: Any = None) -> str:
    """Run the search of every model in ``settings`` and re-run the winners; the search id.

    Args:
        settings: the search; see :class:`TuneSettings`.
        store: where every trial, execution and re-run lands.
        directory: keras-tuner's projects (one per model), the manifest and TensorBoard logs.
        resume: continue the search ``directory`` holds (it must have the same settings).
        role: ``chief`` or ``worker`` for a distributed search (see :func:`resolve_role`).
        rerun_seeds: seeds of the harness re-runs of the default and the tuned config.
        data_dir: local copies of canonical archives (see :func:`open_dataset`).
        console: a rich console for progress (a quiet one if ``None``).
    """
    from rich.console import Console

    console = console or Console(quiet=True)
    settings.check()
    role = resolve_role(role)
    data = open_dataset(settings.dataset, data_dir)
    for model in settings.models:
        check_search_space(model, data.task_spec())
    directory = Path(directory)
    search_id = settings.search_id
    if not resume and role != "worker" and len(store.rows("tuning_trials", search_id=search_id)):
        raise ValueError(f"store {store.path} already holds search {search_id}; pass --resume "
                         "with its --dir, or use another --store")
    _claim_directory(directory, settings, resume, role)
    if role != "worker":
        objective = objective_for(data.task_spec().kind)
        store.put("tuning_searches", {
            "search_id": search_id, "settings": json.dumps(settings.to_dict(), sort_keys=True),
            "objective": objective.name, "direction": objective.direction,
            "created_at": utc_now()})
    store.add_dataset(data.name, data.fingerprint, data.info())
    base_port = int(os.environ[ENV_PORT]) if role else 0
    for index, model in enumerate(settings.models):
        if role:  # one oracle per model, so workers never ask a finished search for trials
            os.environ[ENV_PORT] = str(base_port + index)
        outcome = _search(model, data, settings, store, directory, role, console)
        if role != "worker":
            _store_outcome(store, search_id, model, settings, outcome)
    if role == "worker":
        return search_id
    _rerun(store, search_id, settings, rerun_seeds, data_dir, console)
    return search_id


def _search(model: str, data: Dataset, settings: TuneSettings, store: Store, directory: Path,
            role: str | None, console: Any) -> ModelOutcome:
    """One model's keras-tuner search, recording as it goes."""
    search_id = settings.search_id
    tuner_id = os.environ.get(ENV_ID, "tuner0")

    def execution(row: dict[str, Any]) -> None:
        store.put("tuning_executions", {"search_id": search_id, "model": model,
                                        "tuner_id": tuner_id, **row})

    def trial(row: dict[str, Any]) -> None:
        store.put("tuning_trials", {"search_id": search_id, "model": model, **row})
        score = "-" if row["score"] is None else f"{row['score']:.4f}"
        console.print(f"  {model} trial {row['trial_id']}: {row['status'].lower()}, "
                      f"{hypermodel.objective.name} {score} ({row['wall_seconds']:.0f} s)")

    hypermodel = ZooHyperModel(model, data, settings.budget, settings.seed, recorder=execution)
    tuner = make_tuner(settings.tuner, hypermodel, directory, trials=settings.trials or 0,
                       max_epochs=settings.max_epochs or 0, executions=settings.executions,
                       seed=settings.seed, trial_recorder=trial)
    callbacks = []
    if keras.backend.backend() == "tensorflow":  # keras-tuner adds the HParams writer to it
        callbacks.append(keras.callbacks.TensorBoard(
            log_dir=str(directory / "tensorboard" / model), write_graph=False,
            profile_batch=0))
    console.print(f"tuning {model} on {data.name}: {settings.tuner} search, "
                  f"{hypermodel.objective.name} ({hypermodel.objective.direction})")
    outcome = ModelOutcome()
    start = time.perf_counter()
    try:
        tuner.search(callbacks=callbacks, verbose=0)
    except RuntimeError as error:  # keras-tuner's limit of consecutive failed trials
        outcome.status, outcome.error = "failed", str(error).strip().splitlines()[0]
    outcome.seconds = time.perf_counter() - start
    if role != "worker":  # a worker's oracle is the chief's, reached over gRPC
        best = tuner.oracle.get_best_trials(1)
        if best:
            outcome.best_trial = best[0].trial_id
            outcome.best_values = dict(best[0].hyperparameters.values)
        elif outcome.status == "ok":
            outcome.status, outcome.error = "failed", "no trial completed"
    return outcome


def _tuned_config(model: str, budget: Budget, values: dict[str, Any]
                  ) -> tuple[dict[str, Any], Budget]:
    """The best trial's model hyperparameters, and the budget with its learning rate."""
    takes = zoo.get_model_info(model).defaults
    return ({k: v for k, v in values.items() if k in takes},
            budget.replace(learning_rate=values.get("learning_rate")))


def placement() -> tuple[str, str]:
    """(backend, device kind) of this process: where the re-runs run, part of their keys."""
    return keras.backend.backend(), select_device("auto", strategy=False).kind


def _store_outcome(store: Store, search_id: str, model: str, settings: TuneSettings,
                   outcome: ModelOutcome) -> None:
    previous = store.rows("tuning_models", search_id=search_id, model=model)
    seconds = outcome.seconds + (float(previous["search_seconds"].iloc[0]) if len(previous)
                                 else 0.0)
    row: dict[str, Any] = {
        "search_id": search_id, "model": model, "status": outcome.status,
        "error": outcome.error, "search_seconds": seconds,
        "default_hash": run_key(model, settings.dataset, settings.budget, None,
                                where=placement()),
        "best_trial": outcome.best_trial, "best_hparams": None, "tuned_hash": None}
    if outcome.best_trial is not None:
        hparams, budget = _tuned_config(model, settings.budget, outcome.best_values)
        row["best_hparams"] = json.dumps({**hparams, "learning_rate": budget.learning_rate},
                                         sort_keys=True)
        row["tuned_hash"] = run_key(model, settings.dataset, budget, hparams, where=placement())
    store.put("tuning_models", row)


def _rerun(store: Store, search_id: str, settings: TuneSettings, seeds: tuple[int, ...],
           data_dir: str | None, console: Any) -> None:
    """Re-run each model's default and tuned config through the harness on ``seeds``."""
    if not seeds:
        return
    plan = []
    suite = f"tune:{search_id}"
    where = placement()
    backend, device = where[0], select_device("auto", strategy=False)
    for row in store.rows("tuning_models", search_id=search_id).to_dict("records"):
        plan += plan_config(row["model"], settings.dataset, settings.budget, None, list(seeds),
                            suite, store, where)
        if row["best_hparams"] and row["tuned_hash"] != row["default_hash"]:
            values = json.loads(row["best_hparams"])
            hparams, budget = _tuned_config(row["model"], settings.budget, values)
            plan += plan_config(row["model"], settings.dataset, budget, hparams, list(seeds),
                                suite, store, where)
    todo = sum(not p.done for p in plan)
    console.print(f"re-running default and tuned configs: {len(plan)} runs ({len(plan) - todo} "
                  f"already in {store.path})")
    slots = plan_slots(None, device.count if device.kind == "gpu" else 0)
    run_grid(plan, store, suite, Execution(backend, device.kind, data_dir),
             PoolSettings(tuple(slots), backend), console)
