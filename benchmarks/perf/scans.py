"""Every recurrence in each of its forms: ``python -m benchmarks.perf.scans [--write]``.

For each model and sequence length (default 128 and 1,024), trains the model once per form of
its mixer, each in its own child process (so each peak memory is its own), in alternating
order, on the same real data as :mod:`benchmarks.perf.modern` (household_power windows joined
end to end), with the same batch size and default hyperparameters. The scan families
(mingru, minlstm, mamba, lru, hawk) have the forms of :data:`zoo.scan.FORMS`, the mLSTM its
parallel and chunkwise forms (:data:`zoo.xlstm.MLSTM_FORMS`); the others one form each (S4D's
FFT convolution, the sLSTM's loop), and the LSTM runs beside them as the reference. A
figure is the median train samples/s over ``--repeats``
timed epochs of ``--batches`` steps after two warm-up steps, and the child's peak resident
memory. ``--write`` records, per family with several forms, the form with the best
geometric-mean speed over the lengths in ``zoo/fast_settings.json`` for this backend and
device, which ``scan="auto"`` (the default) then runs.

``--floor`` adds one more row per linear-scan family: the model with its scan replaced by
``h_t = b_t`` (no recurrence), in the doubling form's code path. That is not a model; it is
the cost of everything around the scan, so it bounds what any scan form can buy: no form
trains faster, or peaks lower, than the floor.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import math
import os
import resource
import statistics
import subprocess
import sys
from types import ModuleType
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SCAN_MODELS = ("mingru", "minlstm", "mamba", "lru", "hawk", "mlstm")
#: the families whose recurrence is :func:`zoo.scan.linear_scan`, and the modules calling it
LINEAR_SCAN_MODULES = {"mingru": "zoo.linear_rnn", "minlstm": "zoo.linear_rnn",
                       "mamba": "zoo.linear_rnn", "lru": "zoo.gated", "hawk": "zoo.gated"}
#: the ``--floor`` row's name in the form column
FLOOR = "floor"
OTHER_MODELS = ("s4d", "slstm", "lstm")


def measure(job: dict[str, Any]) -> dict[str, Any]:
    """Train ``job["model"]`` (with ``scan=job["form"]`` where given) at ``job["steps"]``; its
    median samples/s, peak resident MiB, the kernel it ran and whether XLA compiled it."""
    import keras

    import zoo
    from benchmarks.perf.modern import _epoch_seconds, long_windows

    if job["form"] == FLOOR:
        _remove_scan(job["model"])
        job = {**job, "form": "doubling"}
    batch, batches = job["batch"], job["batches"]
    x, y = long_windows(job["steps"], batch * batches)
    task = zoo.TaskSpec("forecasting", "features", seq_len=job["steps"],
                        num_features=x.shape[2], num_outputs=y.shape[1])
    keras.utils.set_random_seed(0)
    hparams = {"scan": job["form"]} if job["form"] in _forms(job["model"]) else {}
    model = zoo.create_model(job["model"], task, **hparams)
    zoo.adapt_stem(model, x)
    _epoch_seconds(model, x, y, batch, 2)  # warm-up: tracing and compilation
    times = [_epoch_seconds(model, x, y, batch, batches) for _ in range(job["repeats"])]
    return {"samples_per_s": batch * batches / statistics.median(times),
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "kernel": zoo.kernel_summary(model, device="cpu"),
            "xla": bool(model.jit_compile)}


def scan_module(model: str) -> ModuleType:
    """The module whose ``linear_scan`` the mixer of ``model`` calls."""
    return importlib.import_module(LINEAR_SCAN_MODULES[model])


def _remove_scan(model: str) -> None:
    """Replace the scan that ``model``'s mixer calls by ``h_t = b_t``, in this process only."""
    scan_module(model).linear_scan = lambda a, b, initial=None, form="doubling": b


def _forms(model: str) -> tuple[str, ...]:
    """The forms ``scan=`` selects for ``model`` (none for a model with one form)."""
    from zoo.scan import FORMS
    from zoo.xlstm import MLSTM_FORMS

    return MLSTM_FORMS if model == "mlstm" else FORMS if model in SCAN_MODELS else ()


def _child(job: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.perf.scans", "--child",
                           json.dumps(job)], capture_output=True, text=True)
    if proc.returncode:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": tail}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _write(results: dict[str, dict[int, dict[str, dict[str, Any]]]]) -> None:
    """Record the fastest form of each family with several (geometric mean over lengths)."""
    import keras

    from benchmarks.cell.devices import cpu_name
    from zoo.fast import TABLE_PATH, current_device, measured_table

    table = json.loads(json.dumps(measured_table()))
    place = table.setdefault(keras.backend.backend(), {}).setdefault(current_device(), {})
    for model, by_length in results.items():
        if model not in SCAN_MODELS:
            continue
        speed = {form: math.exp(statistics.fmean(
            math.log(by_length[t][form]["samples_per_s"]) for t in by_length))
            for form in _forms(model)
            if all("samples_per_s" in by_length[t].get(form, {}) for t in by_length)}
        if not speed:
            continue
        place.setdefault(model, {})["scan"] = {
            "form": max(speed, key=speed.get), "measured": datetime.date.today().isoformat(),
            "on": cpu_name(),
            "samples_per_s": {str(t): {f: round(v["samples_per_s"], 1)
                                       for f, v in by_length[t].items()
                                       if "samples_per_s" in v and f != FLOOR}
                              for t in by_length},
            "peak_mib": {str(t): {f: round(v["peak_mib"]) for f, v in by_length[t].items()
                                  if "peak_mib" in v and f != FLOOR} for t in by_length}}
    TABLE_PATH.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"wrote {TABLE_PATH}")


def main() -> None:
    """Print samples/s and peak memory of every form; ``--write`` records the fastest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(SCAN_MODELS + OTHER_MODELS),
                        help="comma list of model ids (default: every recurrence and lstm)")
    parser.add_argument("--lengths", default="128,1024", help="comma list of sequence lengths")
    parser.add_argument("--batch", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--batches", type=int, default=4, help="training steps per timed epoch")
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs per form")
    parser.add_argument("--write", action="store_true", help="update zoo/fast_settings.json")
    parser.add_argument("--floor", action="store_true",
                        help="also time each linear-scan family with its scan removed (h = b): "
                             "the bound on what any scan form can buy")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(json.loads(args.child))))
        return
    import keras

    from benchmarks.cell.devices import cpu_name

    print(f"train samples/s and peak resident MiB, batch {args.batch}, default "
          f"hyperparameters, median of {args.repeats} epochs of {args.batches} steps, one "
          f"child process per form; Keras {keras.__version__} {keras.backend.backend()} on "
          f"{cpu_name()}")
    print(f"{'T':>6}  {'model':8} {'form':11} {'kernel':16} {'samples/s':>10} {'peak MiB':>9}")
    results: dict[str, dict[int, dict[str, dict[str, Any]]]] = {}
    for steps in (int(t) for t in args.lengths.split(",")):
        for model in args.models.split(","):
            forms = _forms(model) or ("-",)
            if args.floor and model in LINEAR_SCAN_MODULES:
                forms = (*forms, FLOOR)
            for form in forms:
                job = {"model": model, "form": form, "steps": steps, "batch": args.batch,
                       "batches": args.batches, "repeats": args.repeats}
                out = _child(job)
                results.setdefault(model, {}).setdefault(steps, {})[form] = out
                if "error" in out:
                    print(f"{steps:>6}  {model:8} {form:11} failed: {out['error']}", flush=True)
                    continue
                kernel = out["kernel"] + (" (XLA)" if out["xla"] else "")
                print(f"{steps:>6}  {model:8} {form:11} {kernel:16} "
                      f"{out['samples_per_s']:10.1f} {out['peak_mib']:9.0f}", flush=True)
    if args.write:
        _write(results)


if __name__ == "__main__":
    main()
