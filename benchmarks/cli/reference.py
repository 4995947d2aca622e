"""``seqzoo reference``: regenerate the published reference results, resumably; or check them.

Each part (:mod:`benchmarks.grids.reference`) is one ``seqzoo`` command run as a child
process into the reference store, so a part that fails stops the reference with its own
message and every part resumes from the store. Rows whose model code changed since they ran
are deleted first, so their cells run again. Then the report, the reference's README and the
Results section of the docs' Results page are written from the store. Ctrl-C stops the
running part once it has handed its cells back, and writes them from what is stored, naming
the parts still to run; the next invocation resumes.

``--check`` re-runs a sample of the stored ``standard`` cells, chosen by ``--check-seed``, into
a scratch store and confirms each metric lies within the 95% interval of the stored seeds.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.cli.args import comma_list, int_at_least, seconds

if TYPE_CHECKING:
    from benchmarks.grids.reference import Ledger, Part
    from results.store import Store

DEFAULT_OUT = Path("results") / "reference"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``seqzoo reference``."""
    p.add_argument("--store", default=str(DEFAULT_OUT / "seqzoo.sqlite"),
                   help="the reference store, a SQLite path or URL (default: %(default)s)")
    p.add_argument("--out", default=str(DEFAULT_OUT),
                   help="where the report, README.md and parts.json go (default: %(default)s)")
    p.add_argument("--workers", type=int_at_least(1), default=2,
                   help="worker processes of every part (default: %(default)s)")
    p.add_argument("--parts", type=comma_list,
                   help="comma list of parts to run, e.g. standard,diagnose (default: all: "
                        "standard, diagnose <probe> for each probe, scale, parity <backend>)")
    p.add_argument("--timeout-per-run", type=seconds, default=900.0,
                   help="a cell still running after this many seconds is stored as timeout "
                        "(default: %(default)s)")
    p.add_argument("--readme", default=str(Path("docs") / "results.md"),
                   help="the Markdown page whose Results section is regenerated between its "
                        "'<!-- reference results -->' markers (the docs site's Results page); "
                        "skipped if the file does not exist (default: %(default)s)")
    p.add_argument("--check", action="store_true",
                   help="instead: re-run --sample stored standard cells and confirm each "
                        "within the 95%% interval of its stored seeds")
    p.add_argument("--sample", type=int_at_least(1), default=3,
                   help="with --check: how many cells (default: %(default)s)")
    p.add_argument("--check-seed", type=int, default=0,
                   help="with --check: the seed that draws the sample (default: %(default)s)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the parts' commands and the stale rows, then stop")


@dataclass(frozen=True)
class ReferenceRequest:
    """One validated ``seqzoo reference``."""

    store: str
    out: Path
    workers: int
    parts: tuple[str, ...] | None
    timeout_per_run: float
    readme: Path
    check: bool = False
    sample: int = 3
    check_seed: int = 0
    dry_run: bool = False


def request(args: argparse.Namespace) -> ReferenceRequest:
    """Check the flags (parts, time cap, README markers) before anything runs."""
    from benchmarks.grids.reference import select_parts
    from results.reference_doc import check_markers

    if args.timeout_per_run <= 0:
        raise ValueError(f"--timeout-per-run {args.timeout_per_run:g} is not allowed; use a "
                         "positive number of seconds")
    select_parts(args.parts, args.timeout_per_run)
    readme = Path(args.readme)
    if readme.exists():
        check_markers(readme.read_text(), readme)
    return ReferenceRequest(args.store, Path(args.out), args.workers,
                            tuple(args.parts) if args.parts else None, args.timeout_per_run,
                            readme, args.check, args.sample, args.check_seed, args.dry_run)


def main(args: argparse.Namespace) -> int:
    """``seqzoo reference``."""
    req = request(args)
    return check(req) if req.check else regenerate(req)


def _seqzoo(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "benchmarks.cli", *args]


def regenerate(req: ReferenceRequest) -> int:
    """Retire stale rows, run every part not yet complete, then write the reports."""
    from benchmarks.grids.reference import Ledger, select_parts, stale_runs
    from results.reference_doc import INTERRUPTED
    from results.store import Store

    store = Store(req.store, create=not req.dry_run)
    runs = store.runs()
    stale = stale_runs(runs)
    for (model, reason), group in stale.groupby(["model", "reason"]):
        print(f"stale: {len(group)} rows of {model} ({reason}): "
              f"{'would run again' if req.dry_run else 'running them again'}")
    warn_if_modified()
    chosen = select_parts(list(req.parts) if req.parts else None, req.timeout_per_run)
    if req.dry_run:
        return dry_run(req, chosen)
    store.retire([int(i) for i in stale["id"]])
    ledger = Ledger(req.out / "parts.json")
    for part in chosen:
        args = _part_args(req, part)
        print(f"== {part.name}: seqzoo {shlex.join(args)}", flush=True)
        start = time.perf_counter()
        code = run_part(_seqzoo(args))
        ledger.add(part, time.perf_counter() - start, f"seqzoo {shlex.join(args)}",
                   time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), code)
        if code == INTERRUPTED:  # publish what is stored; the next invocation resumes
            if len(store.runs()):
                _write(req, store, ledger)
            raise KeyboardInterrupt
        if code:
            raise ChildProcessError(f"reference part {part.name!r} exited with {code}; fix it "
                                    "and run `seqzoo reference` again (finished cells are kept)")
    return _write(req, store, ledger)


def warn_if_modified() -> None:
    """One warning line when the checkout's code is modified: every row written now would
    be stale at the next invocation, and run again."""
    from benchmarks.cell.provenance import git_revision

    revision = git_revision()
    if revision and revision.endswith("-dirty"):
        print(f"seqzoo: warning: the checkout's code is modified ({revision}): the rows "
              "written now will be stale at the next `seqzoo reference` and run again; "
              "commit first", file=sys.stderr, flush=True)


def run_part(command: list[str], grace_s: float = 30.0) -> int:
    """Run one part's command and return its exit status; on Ctrl-C, ``INTERRUPTED`` (130)
    once the child has handed its cells back to the queue. A terminal's Ctrl-C reaches the
    child too; a child still running after ``grace_s`` (only this process was interrupted)
    is sent one, and killed after another ``grace_s``, its leases then expiring."""
    from results.reference_doc import INTERRUPTED

    child = subprocess.Popen(command)
    try:
        return child.wait()
    except KeyboardInterrupt:
        try:
            child.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        return INTERRUPTED


def dry_run(req: ReferenceRequest, chosen: list[Part]) -> int:
    """Print each part's command, and its own ``--dry-run`` header: how many cells it holds,
    how many are done, and the estimate of the rest; then the estimates' total."""
    from benchmarks.grids.estimate import UNMEASURED, parse_wall
    from results.tables import duration

    total, unknown = 0.0, []
    for part in chosen:
        args = _part_args(req, part)
        print(f"== {part.name}: seqzoo {shlex.join(args)}", flush=True)
        plan = subprocess.run(_seqzoo([*args, "--dry-run"]), capture_output=True, text=True)
        if plan.returncode:
            raise ChildProcessError(f"reference part {part.name!r}: {plan.stderr.strip()}")
        header = " ".join(plan.stdout.split("\n  ")[0].split())
        print(header.replace(" estimate: ", "\nestimate: "), flush=True)
        wall = parse_wall(header)
        total += wall or 0.0
        if UNMEASURED in header:
            unknown.append(part.name)
    print(f"estimate of the parts: {duration(total)} of wall time ({total:,.0f} s)"
          + (f", plus the cells not measured yet in {', '.join(unknown)}" if unknown else ""))
    return 0


def _part_args(req: ReferenceRequest, part: Part) -> list[str]:
    return [*part.args, "--store", req.store, "--workers", str(req.workers)]


def _write(req: ReferenceRequest, store: Store, ledger: Ledger) -> int:
    from benchmarks.cell.provenance import git_revision
    from benchmarks.grids.reference import cell_time, parts
    from results.reference_doc import (
        progress,
        reference_readme,
        replace_section,
        results_section,
    )
    from results.report import write_report

    for path in write_report(store, req.out):
        print(f"wrote {path}")
    runs = store.runs()
    command = (f"seqzoo reference --workers {req.workers} --store {req.store} --out {req.out}")
    readme = req.out / "README.md"
    planned = [p.name for p in parts(req.timeout_per_run)]
    readme.write_text(reference_readme(runs, store, ledger.parts, command, git_revision(),
                                       cell_time(runs, store.durations()), planned))
    print(f"wrote {readme}")
    if req.readme.exists():
        section = results_section(runs, store, req.out, progress(ledger.parts, planned))
        req.readme.write_text(replace_section(req.readme.read_text(), section))
        print(f"wrote the Results section of {req.readme}")
    return 0


def check(req: ReferenceRequest) -> int:
    """Re-run the sample into a scratch store; 0 if every metric is within its interval."""
    from benchmarks.grids.reference import check_sample, verdict
    from results.store import Store

    stored = Store(req.store).runs()
    if stored.empty:
        raise ValueError(f"store {req.store} holds no reference rows; run `seqzoo reference` "
                         "first")
    sample = check_sample(stored, req.sample, req.check_seed)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        path = str(Path(scratch) / "check.sqlite")
        for row in sample.itertuples():
            args = ["run", "--suite", row.suite, "--models", row.model, "--datasets",
                    row.dataset, "--seeds", str(row.seed), "--no-baselines", "--backend",
                    row.backend, "--store", path]
            print(f"== seqzoo {shlex.join(args)}", flush=True)
            if subprocess.run(_seqzoo(args)).returncode:
                raise ChildProcessError(f"the check's run of {row.model} / {row.dataset} failed")
            new = Store(path).runs(model=row.model, dataset=row.dataset, seed=row.seed).iloc[-1]
            if new["hparams_hash"] != row.hparams_hash:
                raise ValueError(f"{row.model} / {row.dataset}: the {row.suite} suite's budget "
                                 "or settings changed since the reference ran (another run "
                                 "key); regenerate the reference")
            if new["status"] != "ok":
                results.append((False, f"{row.model} / {row.dataset} / seed {row.seed}: "
                                       f"{new['status']}: {new['error']}"))
                continue
            results.append(verdict(stored, row, float(new[row.primary_metric]),
                                   row.primary_metric))
    for _, text in results:
        print(text)
    bad = sum(not inside for inside, _ in results)
    print(f"reference check: {len(results) - bad} of {len(results)} cells within their "
          "stored 95% interval")
    return 1 if bad else 0
