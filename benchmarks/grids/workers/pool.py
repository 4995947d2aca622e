"""The worker loop: claim cells from the store, run each in a fresh process, store its record.

One loop drives every slot of this machine. A slot's cell runs in a fresh process: on Linux
CPU slots forked from a template that imported the backend once
(:mod:`benchmarks.grids.workers.forks`), else a ``python -m benchmarks.grids.workers.child``
with the slot's backend, thread cap and GPU pinning, which each slot keeps ready, importing its
backend while the slot's current cell runs. For each free slot the loop claims a cell, writes
it to a job file and hands it to the slot's process. While children run it renews their
leases; when one exits it stores the record it wrote, or, if it crashed (a signal, a non-zero
exit) or ran past the time limit, a record naming the cause with the tail of its output:
``failed``, ``oom`` (SIGKILL, as the kernel's OOM killer sends) or ``timeout``. Ctrl-C kills
the children and hands their cells back to the queue.
"""

from __future__ import annotations

import json
import multiprocessing.process
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.markup import escape

from benchmarks.cell.quiet import is_native_log
from benchmarks.grids.workers import forks
from benchmarks.grids.workers.slots import Slot, is_dead_here, worker_id
from benchmarks.grids.workers.usage import cpu_seconds, share_text
from results.queue import Cell, failed_record
from results.record import RunRecord
from results.store import Store

#: lines of a crashed worker's output kept with its record
STDERR_LINES = 20
#: seconds between looks at the whole queue (progress, dead local workers)
QUEUE_POLL_S = 1.0


@dataclass(frozen=True)
class PoolSettings:
    """How this machine works through the queue.

    Attributes:
        slots: the worker slots (see :func:`benchmarks.grids.workers.slots.plan_slots`).
        backend: the Keras backend ready processes import before they have a cell (a cell of
            another backend gets a process started for it).
        lease_s: seconds a claim holds a cell without a heartbeat; a lost worker's cell is
            queued again this long after its last heartbeat.
        timeout_s: seconds one cell may run before its worker is killed (``None``: no limit).
        wait: keep polling when the queue is empty, for cells enqueued later.
    """

    slots: tuple[Slot, ...]
    backend: str = "tensorflow"
    lease_s: float = 60.0
    timeout_s: float | None = None
    wait: bool = False

    def __post_init__(self) -> None:
        if self.lease_s < 1:
            raise ValueError(f"--lease {self.lease_s:g} is not allowed; use 1 second or more")
        if self.timeout_s is not None and self.timeout_s <= 0:
            raise ValueError(f"--timeout-per-run {self.timeout_s:g} is not allowed; use a "
                             "positive number of seconds")
        forks.start_mode()  # a bad SEQZOO_WORKER_START stops the run before a claim


class _Process:
    """A fresh worker process for one cell, its folder (job, result, output) and its backend:
    forked from the template where :func:`~benchmarks.grids.workers.forks.can_fork` allows,
    else a new Python process."""

    def __init__(self, slot: Slot, backend: str) -> None:
        self.slot, self.backend = slot, backend
        self.folder = Path(tempfile.mkdtemp(prefix="seqzoo-cell-"))
        self.popen: subprocess.Popen | None = None
        self.fork: multiprocessing.process.BaseProcess | None = None
        if not forks.can_fork(slot, backend):
            self.popen = self._spawn()

    def _spawn(self) -> subprocess.Popen:
        """Start ``python -m benchmarks.grids.workers.child``; it imports the backend (while
        the slot's current cell runs) and waits for a job."""
        env = {**os.environ, **self.slot.environment(), "KERAS_BACKEND": self.backend,
               "SEQZOO_PARENT_PID": str(os.getpid()), "PYTHONUNBUFFERED": "1"}
        with open(self.folder / "log", "wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "benchmarks.grids.workers.child"], stdin=subprocess.PIPE,
                stdout=log, stderr=subprocess.STDOUT, env=env, text=True)

    def give(self, cell: Cell) -> None:
        """Hand ``cell`` to the process (a forked one starts now)."""
        job, result = self.folder / "job.json", self.folder / "result.json"
        job.write_text(json.dumps({"cell": asdict(cell)}))
        if self.popen is None:
            ctx = forks.context(self.slot, self.backend)
            self.fork = ctx.Process(target=forks.call, daemon=True, name=f"seqzoo-{cell.label()}",
                                    args=(*forks.WORKER, str(job), str(result),
                                          str(self.folder / "log"), self.slot.environment()))
            forks.start(self.fork)
            return
        try:
            self.popen.stdin.write(f"{job}\t{result}\n")
            self.popen.stdin.close()
        except BrokenPipeError:  # it died while importing: its exit becomes the cell's row
            pass

    def poll(self) -> int | None:
        """The exit status (negative: the signal that ended it), ``None`` while it runs or
        waits for a cell."""
        if self.fork is not None:
            return None if self.fork.is_alive() else self.fork.exitcode
        return self.popen.poll() if self.popen is not None else None

    @property
    def pid(self) -> int | None:
        """The process id, ``None`` before a forked process starts."""
        if self.fork is not None:
            return self.fork.pid
        return self.popen.pid if self.popen is not None else None

    def kill(self) -> None:
        """SIGKILL the process and wait for it."""
        if self.fork is not None:
            self.fork.kill()
            self.fork.join()
        elif self.popen is not None:
            self.popen.kill()
            self.popen.wait()

    def stop(self) -> None:
        """End the process (if it still runs) and delete its folder."""
        if self.poll() is None:
            self.kill()
        if self.popen is not None:
            self.popen.wait()
            if self.popen.stdin and not self.popen.stdin.closed:
                self.popen.stdin.close()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class _Busy:
    """A slot running one cell."""

    slot: Slot
    cell: Cell
    worker: _Process
    started: float = field(default_factory=time.monotonic)
    beat: float = field(default_factory=time.monotonic)
    #: the worker's CPU seconds when it got the cell (a spawned one has imported its backend)
    cpu_at_start: float | None = None

    @property
    def folder(self) -> Path:
        return self.worker.folder

    def cpu_used(self) -> float | None:
        """The worker's CPU seconds since it got the cell; ``None`` if they cannot be read."""
        now = cpu_seconds(self.worker.pid)
        if now is None or self.cpu_at_start is None:
            return now
        return now - self.cpu_at_start

    def output_tail(self) -> str:
        """The last lines the worker printed."""
        try:
            lines = (self.folder / "log").read_text(errors="replace").splitlines()
        except OSError:
            return ""
        lines = [line for line in lines if not is_native_log(line.encode())]
        return "\n".join(lines[-STDERR_LINES:])


class Pool:
    """Works through the store's queue with this machine's slots.

    Args:
        store: the shared store.
        settings: slots, lease, time limit, waiting.
        console: a rich console for progress and per-cell lines.
        keys: only claim these cells (a ``seqzoo run`` grid) and stop once all of them are
            finished, by this machine or others; ``None`` (``seqzoo worker``): any cell, until
            the queue has none queued or running.
    """

    def __init__(self, store: Store, settings: PoolSettings, console: Any,
                 keys: Iterable[tuple] | None = None) -> None:
        self.store, self.settings, self.console = store, settings, console
        self.keys = None if keys is None else list(keys)
        self.worker = worker_id()
        self.busy: list[_Busy] = []
        self.ready: dict[int, _Process] = {}
        self.stored_datasets: set[str] = set()

    def run(self) -> None:
        """Claim and run cells until none are left; Ctrl-C hands held cells back."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        try:
            with Progress(*columns, console=self.console, transient=False) as progress:
                self.progress = progress
                self.task = progress.add_task("queue", total=None)
                self._loop()
        except KeyboardInterrupt:
            self._abandon()
            raise
        finally:
            for ready in self.ready.values():
                ready.stop()
            self.ready.clear()

    def _loop(self) -> None:
        looked = 0.0
        empty = False  # the last claim found nothing: wait for the next look before another
        while True:
            idle = [s for s in self.settings.slots if all(b.slot != s for b in self.busy)]
            claimed = False
            for slot in idle if not empty else ():
                cell = self.store.claim(self.worker, self.settings.lease_s, self.keys)
                if cell is None:
                    empty = True
                    break
                self._start(slot, cell)
                claimed = True
            for busy in list(self.busy):
                self._tend(busy)
            if time.monotonic() - looked > QUEUE_POLL_S or claimed:
                looked, empty = time.monotonic(), False
                if self._look() and not self.busy:
                    return
            time.sleep(0.2 if self.busy else QUEUE_POLL_S / 2)

    def _look(self) -> bool:
        """Update progress over the whole queue (or grid), expire the cells of dead workers
        on this machine; whether nothing is left to wait for."""
        rows = self.store.cells(self.keys)
        counts = {s: 0 for s in ("queued", "running", "done", "failed")}
        for cell, status, worker in rows:
            counts[status] += 1
            if status == "running" and worker != self.worker and worker and is_dead_here(worker):
                self.store.expire([cell], worker)
        finished = counts["done"] + counts["failed"]
        elsewhere = counts["running"] - len(self.busy)
        here = ", ".join(f"{b.cell.label()} {time.monotonic() - b.started:.0f}s"
                         for b in self.busy) or "idle"
        description = escape(f"running: {here}; queued {counts['queued']}" + (
            f", running elsewhere {elsewhere}" if elsewhere > 0 else ""))
        self.progress.update(self.task, total=len(rows), completed=finished,
                             description=description)
        left = counts["queued"] + counts["running"]
        return left == 0 and not self.settings.wait

    def _start(self, slot: Slot, cell: Cell) -> None:
        """Hand ``cell`` to the slot's ready process (a new one if it has none, or one of
        another backend), then start the slot's next ready process."""
        backend = cell.spec.get("backend") or self.settings.backend
        worker = self.ready.pop(slot.index, None)
        if worker is not None and (worker.backend != backend or worker.poll() is not None):
            worker.stop()
            worker = None
        worker = worker or _Process(slot, backend)
        worker.give(cell)
        self.busy.append(_Busy(slot, cell, worker, cpu_at_start=cpu_seconds(worker.pid)))
        self.ready[slot.index] = _Process(slot, backend)

    def _tend(self, busy: _Busy) -> None:
        """Finish an exited worker, kill an overdue one, renew a lease that is due."""
        code = busy.worker.poll()
        elapsed = time.monotonic() - busy.started
        if code is None and self.settings.timeout_s and elapsed > self.settings.timeout_s:
            share = share_text(busy.cpu_used(), elapsed, busy.slot.threads)
            busy.worker.kill()
            self._finish(busy, failed_record(
                busy.cell, f"Timeout: the run passed --timeout-per-run "
                           f"{self.settings.timeout_s:g} s; its worker was killed. {share}".strip(),
                status="timeout", extra=json.dumps({"output_tail": busy.output_tail()})))
        elif code is not None:
            self._finish(busy, self._outcome(busy, code))
        elif time.monotonic() - busy.beat > self.settings.lease_s / 4:
            busy.beat = time.monotonic()
            if not self.store.heartbeat(busy.cell, self.worker, self.settings.lease_s):
                busy.worker.kill()
                self._drop(busy)
                self.console.print(f"[yellow]{busy.cell.label()}: lease lost (another worker "
                                   "took the cell over); this worker stopped it[/]")

    def _outcome(self, busy: _Busy, code: int) -> RunRecord:
        """The record the worker wrote, or a failed one naming how it died."""
        result = busy.folder / "result.json"
        if code == 0 and result.exists():
            payload = json.loads(result.read_text())
            dataset = payload.get("dataset")
            if dataset and dataset["fingerprint"] not in self.stored_datasets:
                self.store.add_dataset(dataset["name"], dataset["fingerprint"], dataset["info"])
                self.stored_datasets.add(dataset["fingerprint"])
            return RunRecord(**payload["record"])
        if code < 0:
            name = signal.Signals(-code).name
            cause = f"worker killed by {name}" + (
                " (out of memory, or killed by hand)" if -code == signal.SIGKILL else "")
        else:
            cause = f"worker exited with status {code} before writing a record"
        tail = busy.output_tail()
        last = tail.splitlines()[-1].strip() if tail else ""
        return failed_record(busy.cell, f"WorkerCrash: {cause}" + (f"; last output: {last}"
                                                                   if last else ""),
                             status="oom" if code == -signal.SIGKILL else "failed",
                             extra=json.dumps({"output_tail": tail}))

    def _finish(self, busy: _Busy, record: RunRecord) -> None:
        record.worker, record.attempt = self.worker, busy.cell.attempts
        record.threads = record.threads or busy.slot.threads
        record.gpu = record.gpu or (",".join(busy.slot.gpus) or None)
        stored = self.store.complete(busy.cell, self.worker, record)
        self._drop(busy)
        if not stored:
            self.console.print(f"[yellow]{busy.cell.label()}: lease lost before the record "
                               "was stored; another worker owns the cell[/]")
            return
        self.console.print(_line(busy.cell, record, time.monotonic() - busy.started))

    def _drop(self, busy: _Busy) -> None:
        self.busy.remove(busy)
        busy.worker.stop()

    def _abandon(self) -> None:
        """Ctrl-C: stop every child and put its cell back in the queue."""
        for busy in self.busy:
            busy.worker.stop()
        self.store.release([b.cell for b in self.busy], self.worker)
        for busy in list(self.busy):
            self._drop(busy)


def _line(cell: Cell, record: RunRecord, seconds: float) -> str:
    """One printed line per finished cell: status, primary metric, wall time, peak memory."""
    if record.status != "ok":
        return f"[yellow]{cell.label()}: {record.status}: {record.error}[/]"
    metric = record.primary_metric
    value = getattr(record, metric, None) if metric else None
    score = f", {metric} {value:.4f}" if value is not None else ""
    memory = f", peak {record.peak_host_mib:,.0f} MiB" if record.peak_host_mib else ""
    return f"{cell.label()}: ok{score} ({seconds:.0f} s{memory})"
