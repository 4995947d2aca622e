"""Where a training epoch's time goes: ``python -m benchmarks.perf.profile MODEL SHAPE``.

Trains the zoo ``MODEL`` for one warm-up epoch on a peers shape (``sentiment``, ``speech``,
``forecasting`` or ``large``; see :mod:`benchmarks.perf.peers`), then profiles one epoch with
TensorFlow's profiler and prints, beside the epoch's wall time:
- the op time per region: the recurrent loop's forward and backward passes (ops inside the
  ``while`` loops of recurrent layers), the input pipeline, and the rest of the step;
- the op time per op type, largest first;
- the time the host's threads sat idle, i.e. the wall time no op ran (Python, dispatch).

TensorFlow backend only: the profile is converted with the converter TensorFlow ships for
TensorBoard's profile plugin.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import tempfile
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REGIONS = ("recurrent loop forward", "recurrent loop backward", "input pipeline",
           "rest of the step")


def region_of(op_type: str, op_name: str) -> str:
    """The region an op's time counts to, from its type and its name's scopes (within the
    training step's call: the ``while`` loop Keras puts around several batches per call is
    not a recurrent layer's)."""
    step = op_name.split("StatefulPartitionedCall/", 1)[-1]
    if "while_grad" in step:
        return "recurrent loop backward"
    if "/while/" in f"/{step}":
        return "recurrent loop forward"
    if op_type in ("Dataset", "Iterator") or "Iterator" in op_name:
        return "input pipeline"
    return "rest of the step"


def op_rows(xplane: str) -> list[dict[str, Any]]:
    """The profile's per-op rows (type, name, self time in microseconds)."""
    from tensorflow.python.profiler.internal import _pywrap_profiler_plugin

    data, ok = _pywrap_profiler_plugin.xspace_to_tools_data([xplane], "framework_op_stats", {})
    if not ok:
        raise RuntimeError(f"TensorFlow could not read the profile {xplane}")
    table = json.loads(data)
    table = table[0] if isinstance(table, list) else table
    cols = [c["label"] if isinstance(c, dict) else c for c in table["cols"]]
    rows = [dict(zip(cols, (cell["v"] for cell in row["c"]), strict=True))
            for row in table["rows"]]
    return [{"type": r["Operation Type"], "name": r["Operation Name"],
             "self_us": float(r["Total self-time (us)"])} for r in rows]


def profile(model: str, shape_name: str, samples: int, steps_per_execution: int | str
            ) -> dict[str, Any]:
    """Profile one epoch of ``model`` on ``shape_name``; wall seconds, idle and op seconds."""
    import keras
    import tensorflow as tf

    import zoo
    from benchmarks.perf.peers import load_arrays, shapes

    if keras.backend.backend() != "tensorflow":
        raise ValueError(f"the profile needs the tensorflow backend, not "
                         f"{keras.backend.backend()!r}")
    shape = shapes()[shape_name]
    task, x, y = load_arrays(shape, samples)
    hparams = zoo.resolve_hparams(model, shape.model_hparams(model))
    keras.utils.set_random_seed(0)
    net = zoo.create_model(model, task, steps_per_execution=steps_per_execution, **hparams)
    zoo.adapt_stem(net, x)
    net.fit(x, y, batch_size=shape.batch, epochs=1, verbose=0)
    logdir = tempfile.mkdtemp(prefix="seqzoo-profile-")
    tf.profiler.experimental.start(logdir)
    start = time.perf_counter()
    net.fit(x, y, batch_size=shape.batch, epochs=1, verbose=0)
    wall = time.perf_counter() - start
    tf.profiler.experimental.stop()
    rows = op_rows(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True)[0])
    busy = [r for r in rows if r["type"] != "IDLE"]
    by_region = dict.fromkeys(REGIONS, 0.0)
    by_type: dict[str, float] = {}
    for r in busy:
        by_region[region_of(r["type"], r["name"])] += r["self_us"] / 1e6
        by_type[r["type"]] = by_type.get(r["type"], 0.0) + r["self_us"] / 1e6
    return {"model": model, "shape": shape_name, "samples": samples, "batch": shape.batch,
            "steps_per_execution": int(net.steps_per_execution),
            "jit_compile": bool(net.jit_compile), "wall_s": wall,
            "idle_s": sum(r["self_us"] for r in rows if r["type"] == "IDLE") / 1e6,
            "op_s": sum(by_region.values()), "regions": by_region,
            "op_types": dict(sorted(by_type.items(), key=lambda kv: -kv[1]))}


def print_profile(result: dict[str, Any], top: int) -> None:
    """The profile as text."""
    op_s = result["op_s"] or 1.0
    print(f"{result['model']} on {result['shape']}: one epoch of {result['samples']} samples, "
          f"batch {result['batch']}, steps_per_execution {result['steps_per_execution']}, "
          f"XLA {'on' if result['jit_compile'] else 'off'}")
    print(f"  wall {result['wall_s'] * 1e3:.0f} ms; op time {result['op_s'] * 1e3:.0f} ms "
          f"(summed over threads); host threads idle {result['idle_s'] * 1e3:.0f} ms")
    for name, seconds in result["regions"].items():
        print(f"  {name:<28} {seconds * 1e3:9.1f} ms {100 * seconds / op_s:6.1f}%")
    for name, seconds in list(result["op_types"].items())[:top]:
        print(f"  op {name:<25} {seconds * 1e3:9.1f} ms {100 * seconds / op_s:6.1f}%")


def main(argv: list[str] | None = None) -> None:
    """Parse the flags, profile and print."""
    import zoo
    from benchmarks.cell.checks import check_choice
    from benchmarks.cli.args import int_at_least
    from benchmarks.perf.peers import shapes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("shape")
    parser.add_argument("--samples", type=int_at_least(1), default=512)
    parser.add_argument("--steps-per-execution", default="auto",
                        help="batches per call of the training step (default: the measured)")
    parser.add_argument("--top", type=int_at_least(1), default=10, help="op types to list")
    args = parser.parse_args(argv)
    try:
        check_choice("model", args.model, zoo.list_models())
        check_choice("shape", args.shape, shapes())
        steps = args.steps_per_execution
        print_profile(profile(args.model, args.shape, args.samples,
                              int(steps) if steps.isdigit() else steps), args.top)
    except ValueError as error:
        parser.exit(2, f"error: {error}\n")


if __name__ == "__main__":
    main()
