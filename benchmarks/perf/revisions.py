"""A model's speed and memory at two code revisions, side by side:
``python -m benchmarks.perf.revisions --against REV --models mamba,lstm``.

"Twice as fast as before" is a claim about two versions of the zoo, measured on one machine in
one run. This checks the revision ``REV`` out into a temporary git worktree and trains each
model once per revision, XLA setting and round, each in its own child process (so each peak
memory is its own), alternating the revisions' order every round. Both children run this
checkout's harness on the same arrays (household_power windows joined end to end, as
:mod:`benchmarks.perf.scans`, prepared once by this checkout and saved for the children);
only the ``zoo`` package differs: a child starts in a folder holding nothing but a ``zoo``
link to its revision's package, so ``import zoo`` finds that one first, and imports nothing
else of seqzoo that could need this checkout's ``zoo``. Only the public API every revision
has is used (``TaskSpec``, ``create_model`` with ``jit_compile``, ``adapt_stem``), and each
model runs at its revision's default hyperparameters, so a changed default is part of what is
measured. A child whose ``zoo`` came from elsewhere counts as failed. A figure is the median
over the rounds of each child's median train samples/s (``--repeats`` timed epochs of
``--batches`` steps after two warm-up steps) and of its peak resident memory; the ratio column
divides this checkout's by ``REV``'s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.cell.provenance import ROOT, git_revision

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

#: ``--jit`` values and what ``create_model(jit_compile=...)`` gets for each
JIT = {"on": True, "off": False, "auto": "auto"}
#: the name of this checkout in the output
HERE = "this checkout"


def measure(job: dict[str, Any]) -> dict[str, Any]:
    """Train ``job["model"]`` with the ``zoo`` this process imports; its median samples/s,
    peak resident MiB, whether XLA compiled it, and where its ``zoo`` came from."""
    import keras
    import numpy as np

    import zoo
    from benchmarks.perf.modern import _epoch_seconds

    batch, batches = job["batch"], job["batches"]
    with np.load(job["data"]) as arrays:
        x, y = arrays["x"], arrays["y"]
    task = zoo.TaskSpec("forecasting", "features", seq_len=job["steps"],
                        num_features=x.shape[2], num_outputs=y.shape[1])
    keras.utils.set_random_seed(0)
    model = zoo.create_model(job["model"], task, jit_compile=JIT[job["jit"]])
    zoo.adapt_stem(model, x)
    _epoch_seconds(model, x, y, batch, 2)  # warm-up: tracing and compilation
    times = [_epoch_seconds(model, x, y, batch, batches) for _ in range(job["repeats"])]
    return {"samples_per_s": batch * batches / statistics.median(times),
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "xla": bool(model.jit_compile), "zoo": str(Path(zoo.__file__).resolve().parent)}


def resolve(revision: str, root: Path = ROOT) -> str:
    """The full commit ``revision`` names in the repository at ``root``; ``ValueError`` if it
    names none."""
    found = subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", "--quiet",
                            f"{revision}^{{commit}}"], capture_output=True, text=True)
    if found.returncode:
        raise ValueError(f"revision {revision!r} is not a commit of {root}; use a commit, "
                         f"tag or branch that `git log` shows")
    return found.stdout.strip()


@contextmanager
def worktree(commit: str, root: Path = ROOT) -> Iterator[Path]:
    """A temporary detached git worktree of ``commit``, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="seqzoo-rev-") as scratch:
        path = Path(scratch) / "tree"
        subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", "--quiet",
                        str(path), commit], check=True, capture_output=True, text=True)
        try:
            yield path
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force",
                            str(path)], capture_output=True, text=True)


@contextmanager
def zoo_first(package: Path) -> Iterator[Path]:
    """A folder holding only a ``zoo`` link to ``package``: a child started there (``-m``
    puts its working folder first on ``sys.path``) imports that ``zoo``."""
    with tempfile.TemporaryDirectory(prefix="seqzoo-zoo-") as folder:
        (Path(folder) / "zoo").symlink_to(package, target_is_directory=True)
        yield Path(folder)


def child_env(folder: Path) -> dict[str, str]:
    """The environment of a child started in ``folder``: this checkout's packages importable,
    after the folder's ``zoo``, and the user's own ``PYTHONPATH`` kept."""
    paths = [str(folder), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def run_child(job: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Measure ``job`` in a fresh process started in ``folder``; ``{"error": ...}`` if it
    failed or imported another ``zoo`` than the folder's."""
    proc = subprocess.run([sys.executable, "-m", "benchmarks.perf.revisions", "--child",
                           json.dumps(job)], cwd=folder, env=child_env(folder),
                          capture_output=True, text=True)
    if proc.returncode:
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = (folder / "zoo").resolve()
    if Path(out["zoo"]) != expected:
        return {"error": f"the child imported zoo from {out['zoo']}, not {expected}"}
    return out


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The medians of one configuration's rounds; ``error`` if no round succeeded."""
    good = [r for r in runs if "error" not in r]
    if not good:
        return {"error": runs[-1]["error"]}
    return {"samples_per_s": statistics.median(r["samples_per_s"] for r in good),
            "peak_mib": statistics.median(r["peak_mib"] for r in good),
            "xla": good[0]["xla"], "rounds": len(good)}


def table(results: dict[tuple[int, str, str, str], dict[str, Any]], revision: str) -> str:
    """One line per length, model and XLA setting: both revisions' medians and their ratios
    (this checkout over ``revision``)."""
    lines = [f"{'T':>6}  {'model':14} {'jit':4} {revision[:12] + ' samples/s':>22} "
             f"{'now samples/s':>14} {'ratio':>6} {'MiB then':>9} {'MiB now':>8} {'ratio':>6}"]
    keys = sorted({(t, m, j) for t, m, j, _ in results})
    for steps, model, jit in keys:
        then, now = results[steps, model, jit, revision], results[steps, model, jit, HERE]
        if "error" in then or "error" in now:
            lines.append(f"{steps:>6}  {model:14} {jit:4} failed: "
                         f"{then.get('error') or now.get('error')}")
            continue
        lines.append(
            f"{steps:>6}  {model:14} {jit:4} {_speed(then):>22} {_speed(now):>14} "
            f"{now['samples_per_s'] / then['samples_per_s']:6.2f} {then['peak_mib']:9,.0f} "
            f"{now['peak_mib']:8,.0f} {now['peak_mib'] / then['peak_mib']:6.2f}")
    return "\n".join(lines)


def _speed(result: dict[str, Any]) -> str:
    return f"{result['samples_per_s']:,.1f}" + (" (XLA)" if result["xla"] else "")


def save_windows(steps: int, count: int, folder: Path) -> str:
    """Save ``count`` training sequences of ``steps`` steps under ``folder``; their path."""
    import numpy as np

    from benchmarks.perf.modern import long_windows

    x, y = long_windows(steps, count)
    path = folder / f"windows_{steps}.npz"
    np.savez(path, x=x, y=y)
    return str(path)


def compare(args: argparse.Namespace, commit: str) -> dict[tuple[int, str, str, str],
                                                            dict[str, Any]]:
    """Run every child of the comparison, alternating the revisions' order each round, and
    print each as it ends."""
    runs: dict[tuple[int, str, str, str], list[dict[str, Any]]] = {}
    with worktree(commit) as tree, zoo_first(tree / "zoo") as then, \
            zoo_first(ROOT / "zoo") as now, tempfile.TemporaryDirectory() as arrays:
        folders = {args.against: then, HERE: now}
        for steps in args.lengths:
            data = save_windows(steps, args.batch * args.batches, Path(arrays))
            for round_ in range(args.rounds):
                order = list(folders) if round_ % 2 == 0 else list(folders)[::-1]
                for model in args.models:
                    for jit in args.jit:
                        for name in order:
                            job = {"model": model, "jit": jit, "steps": steps,
                                   "batch": args.batch, "batches": args.batches,
                                   "repeats": args.repeats, "data": data}
                            out = run_child(job, folders[name])
                            runs.setdefault((steps, model, jit, name), []).append(out)
                            shown = out.get("error") or f"{_speed(out)} samples/s, " \
                                f"{out['peak_mib']:,.0f} MiB"
                            print(f"{steps:>6}  {model:14} {jit:4} {name[:14]:14} {shown}",
                                  flush=True)
    return {key: summarise(value) for key, value in runs.items()}


def main(argv: list[str] | None = None) -> None:
    """Parse the flags, run the comparison and print its table."""
    from benchmarks.cell.checks import check_choice
    from benchmarks.cli.args import Parser, comma_list, int_at_least, ints_at_least

    parser = Parser(prog="python -m benchmarks.perf.revisions",
                    description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="the other revision: a commit, tag or branch")
    parser.add_argument("--models", type=comma_list, default=["mamba", "lstm"],
                        help="comma list of model ids both revisions register")
    parser.add_argument("--lengths", type=ints_at_least(1, "length"), default=[128, 1024],
                        help="comma list of sequence lengths (default 128,1024)")
    parser.add_argument("--jit", type=comma_list, default=["on", "off"],
                        help="comma list of XLA settings: on, off, auto (each revision's own "
                             "choice); default on,off")
    parser.add_argument("--rounds", type=int_at_least(1), default=3,
                        help="children per revision and setting, alternating (default 3)")
    parser.add_argument("--batch", type=int_at_least(1), default=32)
    parser.add_argument("--batches", type=int_at_least(1), default=4,
                        help="training steps per timed epoch")
    parser.add_argument("--repeats", type=int_at_least(1), default=3,
                        help="timed epochs per child")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    try:
        args = parser.parse_args(argv)
        if args.child:
            print(json.dumps(measure(json.loads(args.child))))
            return
        if not args.against:
            raise ValueError("--against is required: the revision to compare with")
        for jit in args.jit:
            check_choice("--jit", jit, JIT)
        commit = resolve(args.against)
    except ValueError as error:
        parser.exit(2, f"error: {error}\n")
    from benchmarks.cell.devices import cpu_name

    print(f"train samples/s and peak resident MiB at {args.against} ({commit[:12]}) and this "
          f"checkout ({git_revision()}), batch {args.batch}, each revision's default "
          f"hyperparameters, median of {args.rounds} children per revision, alternating, each "
          f"the median of {args.repeats} epochs of {args.batches} steps; on {cpu_name()}")
    results = compare(args, commit)
    print()
    print(table(results, args.against))


if __name__ == "__main__":
    main()
