"""Which models train faster with XLA: ``python -m benchmarks.perf.jit [--write]``.

Every model (or ``--models``) is built twice, ``jit_compile`` off and on, on each of the quick
suite's task shapes (its dataset and batch size, the training split repeated or cut to
``--samples``). Each arm first runs what a cell runs, twice: an epoch with validation data and
a partial last batch, a prediction at batch 256 with a partial batch, and one at batch 1. The
first time pays every tracing and XLA compilation a cell pays; its extra seconds over the
second are the arm's overhead. Then the two train ``--repeats`` epochs in alternating order, in
one process; the figure is the median samples/s (both arms with the model's measured
``steps_per_execution``, :mod:`benchmarks.perf.execution`).

From overhead and rate follow, per shape, the training samples (epochs x samples) at which XLA
becomes faster by ``--margin``; their median over the shapes is ``breakeven_samples`` (``null``
where XLA never trains faster), which ``--jit auto`` compares with each run's budget. So a
quick-suite cell of a slow-to-compile model runs without XLA and a long run of it with.
``jit_compile`` is the choice for a whole quick suite run of the model (the overhead plus the
quick budget's epochs at the measured rate, summed over the shapes), taken where a run's size
is not known. ``--write`` stores the figures and the choices for the active backend and device
in ``zoo/fast_settings.json``, which ``--jit auto`` (the default of every command) and
``zoo.create_model`` read.

Both arms run without TensorFlow's deterministic ops (Keras turns XLA off under them, and they
cannot be switched off again in a process); runs with XLA off take them, as ever.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import statistics
import time
from datetime import date
from typing import Any

from benchmarks.perf.peers import load_arrays, shapes


def epoch_seconds(model: Any, x: Any, y: Any, batch: int) -> float:
    """Wall seconds of one training epoch of ``model`` on ``x``, ``y``."""
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    return time.perf_counter() - start


def alternating_epochs(models: dict[Any, Any], x: Any, y: Any, batch: int, repeats: int
                       ) -> dict[Any, list[float]]:
    """Epoch seconds of each of ``models`` over ``repeats`` rounds, the order reversed every
    other round so that no arm always runs first."""
    arms = list(models)
    times: dict[Any, list[float]] = {arm: [] for arm in arms}
    for r in range(repeats):
        for arm in (arms if r % 2 == 0 else arms[::-1]):
            times[arm].append(epoch_seconds(models[arm], x, y, batch))
    return times


def cell_seconds(model: Any, x: Any, y: Any, batch: int) -> float:
    """Wall seconds of what a cell runs of ``model``, each batch shape once or more: an epoch
    with validation data (a full and a partial batch each), a prediction at batch 256 with a
    partial batch, and a prediction at batch 1."""
    start = time.perf_counter()
    model.fit(x[:-5], y[:-5], batch_size=batch, epochs=1, verbose=0,
              validation_data=(x[:batch + 5], y[:batch + 5]))
    model.predict(x[:300], batch_size=256, verbose=0)
    model.predict_on_batch(x[:1])
    return time.perf_counter() - start


def compare(name: str, shape_name: str, samples: int, repeats: int) -> dict[str, float]:
    """Samples/s of ``name`` with XLA off and on, and each arm's compilation overhead."""
    import keras

    import zoo

    shape = shapes()[shape_name]
    task, x, y = load_arrays(shape, samples)
    models = {}
    result: dict[str, float] = {}
    for arm, jit in (("off", False), ("on", True)):
        keras.utils.set_random_seed(0)
        models[arm] = zoo.create_model(name, task, jit_compile=jit)
        zoo.adapt_stem(models[arm], x)
        first = cell_seconds(models[arm], x, y, shape.batch)
        result[f"overhead_s_{arm}"] = max(first - cell_seconds(models[arm], x, y, shape.batch),
                                          0.0)
    for arm, values in alternating_epochs(models, x, y, shape.batch, repeats).items():
        result[f"samples_s_{arm}"] = samples / statistics.median(values)
    result["ratio"] = result["samples_s_on"] / result["samples_s_off"]
    return result


def breakeven_samples(figures: dict[str, float], margin: float) -> float | None:
    """Training samples from which XLA's run is faster by ``margin`` on one shape: ``0`` if
    always, ``None`` if never."""
    per_sample = 1 / figures["samples_s_off"] - (1 + margin) / figures["samples_s_on"]
    extra = (1 + margin) * figures["overhead_s_on"] - figures["overhead_s_off"]
    if per_sample <= 0:
        return 0.0 if extra <= 0 else None
    return max(extra / per_sample, 0.0)


def quick_run_seconds(figures: dict[str, float], shape_name: str, arm: str) -> float:
    """Training seconds of the quick suite's budget on ``shape_name`` with XLA ``arm`` (on/off):
    the measured overhead plus its epochs at the measured steady rate."""
    budget, train = quick_budget(shapes()[shape_name].dataset)
    return figures[f"overhead_s_{arm}"] + budget.epochs * train / figures[f"samples_s_{arm}"]


@functools.cache
def quick_budget(dataset: str) -> tuple[Any, int]:
    """The quick suite's budget for ``dataset`` and the training samples it uses."""
    from benchmarks.data import get_dataset
    from benchmarks.grids.suites import get_suite

    budget = get_suite("quick").datasets[dataset]
    size = len(get_dataset(dataset).load("train")[1])
    return budget, min(size, budget.max_train or size)


def choose(per_shape: dict[str, dict[str, float]], margin: float) -> dict[str, Any]:
    """The choices and their evidence: steady-state speed-up (geometric mean over the shapes),
    the estimated quick-suite training seconds with XLA off and on, and the break-even run
    size (the median over the shapes, a shape where XLA never wins counting as infinite)."""
    speedup = math.exp(statistics.mean(math.log(r["ratio"]) for r in per_shape.values()))
    quick = {arm: sum(quick_run_seconds(f, shape, arm) for shape, f in per_shape.items())
             for arm in ("off", "on")}
    breakevens = [breakeven_samples(f, margin) for f in per_shape.values()]
    middle = statistics.median(math.inf if b is None else b for b in breakevens)
    return {"jit_compile": quick["on"] * (1 + margin) < quick["off"],
            "speedup": round(speedup, 3),
            "quick_seconds": {arm: round(v, 1) for arm, v in quick.items()},
            "breakeven_samples": None if math.isinf(middle) else round(middle)}


def measure(models: list[str], shape_names: list[str], samples: int, repeats: int,
            margin: float) -> dict[str, dict[str, Any]]:
    """Per model: the per-shape figures, their geometric-mean ratio and the choice."""
    table = {}
    for name in models:
        per_shape = {}
        for shape_name in shape_names:
            per_shape[shape_name] = compare(name, shape_name, samples, repeats)
            figures = per_shape[shape_name]
            print(f"{name:>14} {shape_name:>12}: XLA on/off {figures['ratio']:.2f} (compiling "
                  f"{figures['overhead_s_on']:.1f} s on, {figures['overhead_s_off']:.1f} s off)",
                  flush=True)
        table[name] = {**choose(per_shape, margin), "shapes": per_shape}
        print(summary(name, table[name]), flush=True)
    return table


def summary(name: str, entry: dict[str, Any]) -> str:
    """One line: the steady speed-up, the quick-suite estimate and the choices."""
    breakeven = entry["breakeven_samples"]
    return (f"{name:>14}: steady speed-up {entry['speedup']:.2f}, quick-suite training "
            f"{entry['quick_seconds']['off']:.0f} s off / {entry['quick_seconds']['on']:.0f} s on"
            f" -> XLA {'on' if entry['jit_compile'] else 'off'} for the quick suite, "
            + ("never" if breakeven is None else f"from {breakeven:,} training samples"))


def write(table: dict[str, dict[str, Any]], samples: int, repeats: int,
          section: str | None = None) -> None:
    """Merge ``table`` into ``zoo/fast_settings.json`` under the active backend and device: each
    model's entry, or its ``section`` (e.g. ``execution``), gets the figures and provenance."""
    import keras

    from benchmarks.cell.devices import cpu_name
    from zoo.fast import TABLE_PATH, current_device

    stored = json.loads(TABLE_PATH.read_text()) if TABLE_PATH.exists() else {}
    backend, device = keras.backend.backend(), current_device()
    entries = stored.setdefault(backend, {}).setdefault(device, {})
    for name, entry in table.items():
        measured = {**entry, "measured": date.today().isoformat(), "on": cpu_name(),
                    "samples": samples, "repeats": repeats}
        if section is None:
            entries[name] = {**entries.get(name, {}), **measured}
        else:
            entries.setdefault(name, {})[section] = measured
    TABLE_PATH.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(table)} choices for {backend}/{device} to {TABLE_PATH}")


def rechoose(margin: float) -> None:
    """Apply :func:`choose` again to the measurements in ``zoo/fast_settings.json``."""
    from zoo.fast import TABLE_PATH

    stored = json.loads(TABLE_PATH.read_text())
    for devices in stored.values():
        for entries in devices.values():
            for name, entry in entries.items():
                if all("overhead_s_on" in f for f in entry["shapes"].values()):
                    entry.update(choose(entry["shapes"], margin))
                    print(summary(name, entry))
    TABLE_PATH.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")


def main() -> None:
    """Measure, print and optionally write the table."""
    import zoo

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(zoo.list_models()))
    parser.add_argument("--shapes", default="sentiment,speech,forecasting")
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--margin", type=float, default=0.10,
                        help="XLA's run must be this much faster to be chosen (default 0.10)")
    parser.add_argument("--write", action="store_true", help="update zoo/fast_settings.json")
    parser.add_argument("--rechoose", action="store_true",
                        help="recompute the choices of the stored measurements (no timing)")
    args = parser.parse_args()
    if args.rechoose:
        rechoose(args.margin)
        return
    table = measure(args.models.split(","), args.shapes.split(","), args.samples,
                    args.repeats, args.margin)
    if args.write:
        write(table, args.samples, args.repeats)


if __name__ == "__main__":
    main()
