"""Batches per call of the training step: ``python -m benchmarks.perf.execution [--write]``.

Keras calls the compiled training step once per batch unless ``steps_per_execution`` is set;
each call costs a fixed dispatch (Python, the iterator, the callbacks), which small batches do
not hide. Every model (or ``--models``) is built once per candidate (``--candidates``, with its
measured XLA choice), on each of the quick suite's task shapes (its dataset and batch size, the
training split repeated or cut to ``--samples``). After a warm-up epoch each, the arms train
``--repeats`` epochs in alternating order in one process; the figure is the median samples/s.
A model takes the candidate with the largest speed-up over 1 (geometric mean over the shapes)
when it passes ``--margin``, else 1. The step's arithmetic is the same whatever the candidate.
``--write`` stores the figures and the choice for the active backend and device under each
model's ``execution`` entry in ``zoo/fast_settings.json``, which ``zoo.create_model`` reads.
"""

from __future__ import annotations

import argparse
import math
import statistics
from typing import Any

from benchmarks.perf.jit import alternating_epochs, epoch_seconds, write
from benchmarks.perf.peers import load_arrays, shapes

CANDIDATES = (1, 4, 16)


def compare(name: str, shape_name: str, samples: int, repeats: int,
            candidates: tuple[int, ...]) -> dict[int, float]:
    """Samples/s of ``name`` on ``shape_name`` at each ``steps_per_execution`` candidate."""
    import keras

    import zoo

    shape = shapes()[shape_name]
    task, x, y = load_arrays(shape, samples)
    models = {}
    for steps in candidates:
        keras.utils.set_random_seed(0)
        models[steps] = zoo.create_model(name, task, steps_per_execution=steps)
        zoo.adapt_stem(models[steps], x)
        epoch_seconds(models[steps], x, y, shape.batch)
    times = alternating_epochs(models, x, y, shape.batch, repeats)
    return {steps: samples / statistics.median(t) for steps, t in times.items()}


def choose(per_shape: dict[str, dict[int, float]], margin: float) -> dict[str, Any]:
    """The choice and its evidence: each candidate's speed-up over 1 (geometric mean over the
    shapes); the fastest wins when it beats 1 by more than ``margin``."""
    speedup = {steps: math.exp(statistics.mean(math.log(rates[steps] / rates[1])
                                                for rates in per_shape.values()))
               for steps in next(iter(per_shape.values()))}
    best = max(speedup, key=speedup.get)
    return {"steps_per_execution": best if speedup[best] > 1 + margin else 1,
            "speedup": {str(steps): round(v, 3) for steps, v in speedup.items()}}


def measure(models: list[str], shape_names: list[str], samples: int, repeats: int,
            candidates: tuple[int, ...], margin: float) -> dict[str, dict[str, Any]]:
    """Per model: the per-shape samples/s of each candidate and the choice."""
    table = {}
    for name in models:
        per_shape = {shape: compare(name, shape, samples, repeats, candidates)
                     for shape in shape_names}
        table[name] = {**choose(per_shape, margin), "samples_per_s": {
            shape: {str(steps): round(rate, 1) for steps, rate in rates.items()}
            for shape, rates in per_shape.items()}}
        speedups = ", ".join(f"{steps}: {v:.2f}" for steps, v in table[name]["speedup"].items())
        print(f"{name:>14}: speed-up over 1 ({speedups}) -> steps_per_execution "
              f"{table[name]['steps_per_execution']}", flush=True)
    return table


def main() -> None:
    """Measure, print and optionally write the table."""
    import zoo
    from benchmarks.cli.args import comma_list

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=comma_list, default=zoo.list_models())
    parser.add_argument("--shapes", type=comma_list, default=["sentiment", "speech",
                                                              "forecasting"])
    parser.add_argument("--candidates", type=comma_list, default=[str(c) for c in CANDIDATES],
                        help="steps_per_execution values to time; 1 is always among them")
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--margin", type=float, default=0.05,
                        help="the speed-up over 1 a candidate needs (default 0.05)")
    parser.add_argument("--write", action="store_true", help="update zoo/fast_settings.json")
    args = parser.parse_args()
    candidates = tuple(sorted({1, *(int(c) for c in args.candidates)}))
    table = measure(args.models, args.shapes, args.samples, args.repeats, candidates,
                    args.margin)
    if args.write:
        write(table, args.samples, args.repeats, section="execution")


if __name__ == "__main__":
    main()
