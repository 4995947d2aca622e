"""Provenance recorded with every run: package versions and the code revision."""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import subprocess
from pathlib import Path


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
def git_revision() -> str | None:
    """The seqzoo checkout's commit (with ``-dirty`` if modified), or ``None`` outside git."""
    root = Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=5)
        if rev.returncode:
            return None
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "zoo",
                                "benchmarks", "results", "tuning"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return rev.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return None
