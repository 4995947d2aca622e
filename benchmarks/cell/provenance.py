"""Provenance recorded with every run: package versions and the code revision."""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import subprocess
from pathlib import Path

#: the seqzoo checkout (or installed source tree)
ROOT = Path(__file__).resolve().parents[2]
#: git pathspecs of the code a run's results depend on
CODE = ("zoo", "benchmarks", "results", "tuning", ":(exclude)results/reference")


def seqzoo_version() -> str:
    """The installed seqzoo's version, or the source tree's (``setup.cfg``) where seqzoo runs
    from a checkout that pip did not install (as on a machine the code was copied to)."""
    try:
        return importlib.metadata.version("seqzoo")
    except importlib.metadata.PackageNotFoundError:
        import configparser

        config = configparser.ConfigParser()
        config.read(Path(__file__).resolve().parents[2] / "setup.cfg")
        return f"{config.get('metadata', 'version', fallback='unknown')} (not installed)"


@functools.cache
def versions() -> dict[str, str]:
    """seqzoo, Keras, active backend and Python versions."""
    import keras

    backend = keras.backend.backend()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]
    return {
        "seqzoo_version": seqzoo_version(),
        "keras_version": keras.__version__,
        "backend_version": f"{backend} {importlib.metadata.version(module)}",
        "python_version": platform.python_version(),
    }


@functools.cache
def git_revision(root: Path = ROOT) -> str | None:
    """The commit of the seqzoo checkout at ``root``, with ``-dirty`` if its code is
    modified, or ``None`` outside git. The code is the four packages, less the results the
    reference publishes (``results/reference/``): a reference run writes its store there, which
    must not mark its own rows as from a modified checkout."""
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=5)
        if rev.returncode:
            return None
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", *CODE],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return rev.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return None
