"""Parallel-in-time families vs their sequential ancestors: ``python -m benchmarks.perf.modern``.

Train samples/s of ``mingru`` vs ``gru`` and of ``mamba`` vs ``lstm`` at sequence lengths 128
and 1,024 (by default), side by side in one process: both models of a pair are built on the
same real data at the same batch size and width, warmed up (tracing, compilation), then timed
in alternating epochs of ``--batches`` training steps; the figure is the median over
``--repeats`` epochs. The data are windows of the household_power series (7 hourly features,
24-hour-ahead targets): consecutive windows of the training split are joined end to end into
sequences of the requested length.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PAIRS = (("mingru", "gru"), ("mamba", "lstm"))


def long_windows(steps: int, count: int) -> tuple[object, object]:
    """``count`` real sequences of ``steps`` steps from household_power's training windows."""
    import numpy as np

    from benchmarks.data import get_dataset

    x, y = get_dataset("household_power").load("train")
    per = -(-steps // x.shape[1])  # windows joined per sequence
    usable = (len(x) // per) * per
    joined = x[:usable].reshape(-1, per * x.shape[1], x.shape[2])[:, :steps]
    targets = y[per - 1:usable:per]
    if len(joined) < count:
        joined = np.resize(joined, (count, *joined.shape[1:]))
        targets = np.resize(targets, (count, *targets.shape[1:]))
    return joined[:count].astype("float32"), targets[:count].astype("float32")


def _epoch_seconds(model: object, x: object, y: object, batch: int, batches: int) -> float:
    start = time.perf_counter()
    for i in range(batches):
        model.train_on_batch(x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch])
    return time.perf_counter() - start


def compare(pair: tuple[str, str], steps: int, batch: int, batches: int, repeats: int
            ) -> dict[str, tuple[float, bool]]:
    """Median train samples/s of each model of ``pair`` at ``steps``, timed alternately, and
    whether it ran compiled with XLA (its default, see ``zoo.jit_choice``)."""
    import keras

    import zoo

    x, y = long_windows(steps, batch * batches)
    task = zoo.TaskSpec("forecasting", "features", seq_len=steps, num_features=x.shape[2],
                        num_outputs=y.shape[1])
    models = {}
    for name in pair:
        keras.utils.set_random_seed(0)
        models[name] = zoo.create_model(name, task)
        zoo.adapt_stem(models[name], x)
        _epoch_seconds(models[name], x, y, batch, 2)  # warm-up: tracing and compilation
    times: dict[str, list[float]] = {name: [] for name in pair}
    for _ in range(repeats):
        for name in pair:
            times[name].append(_epoch_seconds(models[name], x, y, batch, batches))
    return {name: (batch * batches / statistics.median(t), bool(models[name].jit_compile))
            for name, t in times.items()}


def main() -> None:
    """Print the samples/s table and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="128,1024", help="comma list of sequence lengths")
    parser.add_argument("--batch", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--batches", type=int, default=8, help="training steps per timed epoch")
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per model")
    args = parser.parse_args()
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    import keras

    from benchmarks.cell.devices import cpu_name

    print(f"train samples/s, batch {args.batch}, default hyperparameters, median of "
          f"{args.repeats} alternating epochs of {args.batches} steps; Keras {keras.__version__} "
          f"{keras.backend.backend()} on {cpu_name()}")
    print(f"{'T':>6}  {'model':14} {'samples/s':>10}  {'vs':14} {'samples/s':>10}  ratio")
    for steps in (int(t) for t in args.lengths.split(",")):
        for pair in PAIRS:
            result = compare(pair, steps, args.batch, args.batches, args.repeats)
            (new, (fast, new_xla)), (old, (slow, old_xla)) = result.items()
            label = {name: name + (" (XLA)" if xla else "")
                     for name, xla in ((new, new_xla), (old, old_xla))}
            print(f"{steps:>6}  {label[new]:14} {fast:10.1f}  {label[old]:14} {slow:10.1f}  "
                  f"{fast / slow:.2f}x", flush=True)


if __name__ == "__main__":
    main()
