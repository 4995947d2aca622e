"""Harness overhead: ``python -m benchmarks.perf.overhead``.

LSTM on the offline sentiment data. Prints, with medians over alternating runs:
- harness epoch time / bare ``model.fit`` epoch time (same model, arrays and batch size;
  the harness adds its timing, early-stopping and NaN callbacks) -- target <= 1.03;
- input pipeline samples/s / training samples/s (the pipeline Keras builds from the arrays,
  iterated without training) -- target >= 10.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    """Measure and print the overhead figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="epochs per arm (default 5)")
    parser.add_argument("--samples", type=int, default=4000, help="training samples")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    logging.getLogger("tensorflow").setLevel(logging.ERROR)

    import keras
    from keras.src.trainers.data_adapters import get_data_adapter

    import zoo
    from benchmarks.cell.measure import BatchTimer
    from benchmarks.data import get_dataset

    data = get_dataset("mr_polarity")
    x, y = (a[: args.samples] for a in data.load("train"))
    keras.utils.set_random_seed(0)
    model = zoo.create_model("lstm", data.task_spec())

    def epoch(callbacks: list) -> float:
        start = time.perf_counter()
        model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0, callbacks=callbacks)
        return time.perf_counter() - start

    def harness_callbacks() -> list:
        return [BatchTimer(args.batch_size),
                keras.callbacks.EarlyStopping(monitor="loss", patience=2),
                keras.callbacks.TerminateOnNaN()]

    epoch([])  # compile and warm up both arms' shared train function
    epoch(harness_callbacks())
    bare, harness = [], []
    for _ in range(args.repeats):
        bare.append(epoch([]))
        harness.append(epoch(harness_callbacks()))
    train_rate = len(x) / statistics.median(bare)

    pipeline = []
    for _ in range(args.repeats):
        adapter = get_data_adapter(x, y, batch_size=args.batch_size, shuffle=True)
        start = time.perf_counter()
        for _batch in adapter.get_tf_dataset():
            pass
        pipeline.append(len(x) / (time.perf_counter() - start))
    pipe_rate = statistics.median(pipeline)

    ratio = statistics.median(harness) / statistics.median(bare)
    print(f"lstm on mr_polarity, {len(x)} samples, batch {args.batch_size}, "
          f"{args.repeats} alternating epochs per arm, backend {keras.backend.backend()}")
    print(f"bare model.fit epoch   median {statistics.median(bare):.3f} s  "
          f"(runs: {', '.join(f'{t:.3f}' for t in bare)})")
    print(f"harness epoch          median {statistics.median(harness):.3f} s  "
          f"(runs: {', '.join(f'{t:.3f}' for t in harness)})")
    print(f"harness overhead       {ratio:.3f}x  (target <= 1.03x)")
    print(f"input pipeline         {pipe_rate:,.0f} samples/s")
    print(f"training               {train_rate:,.0f} samples/s")
    print(f"pipeline / training    {pipe_rate / train_rate:.1f}x  (target >= 10x)")


if __name__ == "__main__":
    main()
