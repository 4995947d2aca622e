"""Run ``seqzoo`` the way a user does: a fresh process, the user's environment without the
variables a user would not set (``KERAS_BACKEND``, pytest's), and optionally with some packages
made unimportable, in that process and every worker it starts (a ``sitecustomize`` on
``PYTHONPATH``, which Python imports at start-up)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

#: what a user's shell does not hold
SCRUBBED_PREFIXES = ("KERAS_BACKEND", "PYTEST_")

SITECUSTOMIZE = textwrap.dedent(
    """
    import importlib.util, os, sys

    BLOCKED = {blocked!r}
    CRASH = {crash!r}  # a module run with -m that dies by SIGSEGV at start-up

    class Blocker:  # importing a blocked package fails as if it were not installed
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)",
                                          name=name)
            return None

    _find_spec = importlib.util.find_spec

    def find_spec(name, package=None):  # and asking whether it is there says no
        if name.partition(".")[0] in BLOCKED:
            return None
        return _find_spec(name, package)

    sys.meta_path.insert(0, Blocker())
    importlib.util.find_spec = find_spec
    if CRASH and CRASH in sys.orig_argv and "-m" in sys.orig_argv:
        import signal
        os.kill(os.getpid(), signal.SIGSEGV)
    """
)


def user_env(folder: Path | None = None, blocked: tuple[str, ...] = (), crash: str = "",
             **extra: str) -> dict[str, str]:
    """The environment of a user's shell; with ``blocked`` packages unimportable (and
    ``crash``, a module that dies when run), through a ``sitecustomize`` written to ``folder``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES)}
    env["COLUMNS"] = "200"
    if blocked or crash:
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "sitecustomize.py").write_text(SITECUSTOMIZE.format(blocked=set(blocked),
                                                                      crash=crash))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder),
                                                          env.get("PYTHONPATH", "")]))
    return {**env, **extra}


def seqzoo(*args: str, env: dict[str, str] | None = None, timeout: float = 900
           ) -> subprocess.CompletedProcess:
    """``seqzoo ARGS`` in a fresh process (``python -m benchmarks.cli``), output captured."""
    return subprocess.run([sys.executable, "-m", "benchmarks.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=env or user_env())


def ok(proc: subprocess.CompletedProcess) -> str:
    """``proc``'s standard output, after asserting it succeeded."""
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def one_line_error(proc: subprocess.CompletedProcess, status: int = 2) -> str:
    """The single line ``proc`` printed on stderr, after asserting its exit status."""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == status, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert len(lines) == 1, proc.stderr[-3000:]
    return lines[0]
