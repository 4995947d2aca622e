"""The prepared GPU check: ``python -m benchmarks.perf.gpu`` on one CUDA GPU with JAX and
PyTorch and no TensorFlow, from datasets prepared elsewhere.

It runs, each as the ``seqzoo`` command a user would type, into one store:

1. a quick-suite subset (lstm, gru, bilstm, transformer, mingru, mamba on the quick suite's
   three datasets, ``--epochs`` capped) with ``--backend jax`` and with ``--backend torch``,
   one worker per GPU; every row keeps its kernel column as it ran and its peak device memory;
2. ``seqzoo perf --backends jax,torch`` for lstm and gru against cuDNN ``nn.LSTM``/``nn.GRU``;
3. ``seqzoo report`` over the store, then prints one summary table (model, dataset, backend,
   score, train samples/s, peak device MiB, kernel) and writes it as ``gpu.md``.

``--device cpu`` with tiny settings runs the same path on a CPU (the tests do), so the script
does not rot between GPU loans.

Carrying it to the device machine (see the ``device`` tool's README for the limits: 64 MiB of
working tree, wheels for Python 3.12 manylinux), here, on a machine with TensorFlow::

    echo /.gpu/ >> .git/info/exclude
    python -m benchmarks.perf.gpu --pack .gpu/data        # the prepared npz files
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \\
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \\
        -d .gpu/wheels keras==3.15.1 namex optree 'sqlalchemy>=2,<3' greenlet   # 7.9 MiB

and there, carrying ``.gpu``::

    python3 -m pip install -q --no-index --no-deps --target /tmp/site .gpu/wheels/*.whl
    PYTHONPATH=/tmp/site:. SEQZOO_DATA=.gpu/data python3 -m benchmarks.perf.gpu --out $OUT
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

#: the families the check covers: the cuDNN candidates and the parallel-in-time ones
MODELS = ("lstm", "gru", "bilstm", "transformer", "mingru", "mamba")
#: the Keras backends the GPU machine has (it has no TensorFlow)
BACKENDS = ("jax", "torch")
#: the variables a user's shell would not carry into the check
SCRUBBED = ("KERAS_BACKEND",)


def seqzoo(*args: str, log: Path) -> int:
    """Run one ``seqzoo`` command in a fresh process with the user's environment (no
    ``KERAS_BACKEND``); its output goes to the terminal and to ``log``. Its exit status."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    command = [sys.executable, "-m", "benchmarks.cli", *args]
    print("$ seqzoo " + " ".join(args), flush=True)
    with open(log, "a") as out:
        out.write("$ seqzoo " + " ".join(args) + "\n")
        out.flush()
        proc = subprocess.run(command, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        out.write(proc.stdout)
    print(proc.stdout, end="", flush=True)
    return proc.returncode


def _number(value: object, spec: str) -> str | None:
    """``value`` formatted with ``spec``, or ``None`` where the row has none."""
    import pandas as pd

    return None if value is None or pd.isna(value) else format(value, spec)


def summary(store: str, suite: str) -> str:
    """The check's rows as one Markdown table: model, dataset, backend, device, score, train
    samples/s, peak device MiB and the kernel that ran."""
    from results.store import Store
    from results.tables import markdown_table

    runs = Store(store).runs(suite=suite)
    rows = []
    for _, r in runs.sort_values(["dataset", "model", "backend"]).iterrows():
        score = r["accuracy"] if r["primary_metric"] == "accuracy" else r["mae"]
        rows.append([r["model"], r["dataset"], r["backend"], r["device"], r["status"],
                     _number(score, ".4f"), _number(r["train_samples_per_s"], ",.0f"),
                     _number(r["peak_device_mib"], ",.0f"), r["kernel"]])
    return markdown_table(["model", "dataset", "backend", "device", "status",
                           "accuracy / MAE", "train samples/s", "peak device MiB", "kernel"],
                          rows)


def pack(datasets: list[str], folder: Path) -> None:
    """Prepare ``datasets`` and the peers' large shape (from the cache, or now) and write
    compressed copies of their npz files to ``folder/prepared``, a data folder to carry
    (``SEQZOO_DATA=folder``; the quick suite's and the large shape take about 42 MiB)."""
    import numpy as np

    from benchmarks.data import open_dataset
    from benchmarks.data.cache import load_npz
    from benchmarks.perf.peers import LARGE

    target = folder / "prepared"
    target.mkdir(parents=True, exist_ok=True)
    size = 0
    for name in [*datasets, LARGE]:
        data = open_dataset(name)
        data.arrays()
        copy = target / data.cache_path().name  # the same name: the loader finds it there
        np.savez_compressed(copy, **load_npz(data.cache_path()))  # overlapping windows shrink
        size += copy.stat().st_size
    print(f"wrote {len(datasets) + 1} prepared datasets to {target} ({size / 2**20:.1f} MiB); "
          f"carry it and set SEQZOO_DATA={folder} there")


def main(argv: list[str] | None = None) -> int:
    """Run the check (or ``--pack`` its data); 0 when every command succeeded."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.perf.gpu",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="gpu", choices=("gpu", "cpu"),
                   help="where everything runs (default: gpu; cpu runs the same path)")
    p.add_argument("--suite", default="quick", help="the suite whose budgets the runs take")
    p.add_argument("--models", default=",".join(MODELS), help="default: %(default)s")
    p.add_argument("--datasets", help="default: the suite's")
    p.add_argument("--epochs", default="3", help="epochs cap per run (default: %(default)s)")
    p.add_argument("--peers-models", default="lstm,gru", help="default: %(default)s")
    p.add_argument("--shapes", help="peers shapes (default: all)")
    p.add_argument("--samples", default="2048", help="peers samples per epoch")
    p.add_argument("--repeats", default="3", help="peers timed epochs per side")
    p.add_argument("--out", default="seqzoo-results/gpu", help="folder for the store, the "
                                                                "report, gpu.md and the log")
    p.add_argument("--pack", metavar="FOLDER",
                   help="copy the suite's prepared datasets (and the peers' large shape) to "
                        "FOLDER/prepared, to carry with SEQZOO_DATA=FOLDER, then stop")
    args = p.parse_args(argv)
    from benchmarks.grids.suites import get_suite

    datasets = args.datasets.split(",") if args.datasets else list(get_suite(args.suite).datasets)
    if args.pack:
        pack(datasets, Path(args.pack))
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    store, log = str(out / "gpu.sqlite"), out / "gpu.log"
    start, failures = time.perf_counter(), 0
    for backend in BACKENDS:
        failures += seqzoo("run", "--suite", args.suite, "--models", args.models, "--datasets",
                           ",".join(datasets), "--epochs", args.epochs, "--backend", backend,
                           "--device", args.device, "--no-baselines", "--store", store,
                           log=log) != 0
    peers = ["perf", "--backends", ",".join(BACKENDS), "--models", args.peers_models,
             "--device", args.device, "--samples", args.samples, "--repeats", args.repeats,
             "--store", store, "--csv", str(out / "peers.csv")]
    failures += seqzoo(*peers, *(["--shapes", args.shapes] if args.shapes else []),
                       log=log) != 0
    failures += seqzoo("report", "--store", store, "--out", str(out / "report"), log=log) != 0
    table = summary(store, args.suite)
    (out / "gpu.md").write_text(table + "\n")
    print(table)
    print(f"gpu check: {failures} command(s) failed, {time.perf_counter() - start:.0f} s; "
          f"{out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
