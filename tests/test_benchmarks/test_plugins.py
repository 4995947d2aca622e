"""Plugins: a one-file model through ``--plugin`` (listed, and run in a grid by the workers),
and a package installed from a temp folder that registers a model and a dataset through the
``seqzoo.models`` / ``seqzoo.datasets`` entry points. Each runs in a subprocess, so the test
session's registry stays as it was."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap

import pytest

from results.store import Store

MODEL = textwrap.dedent('''
    """A user's one-file model."""
    import keras

    import zoo


    @zoo.register_model(family="mean pool", paper="none")
    def {name}(task: zoo.TaskSpec, units: int = 8, dropout: float = 0.0,
               embed_dim: int = 8) -> keras.Model:
        """Masked mean over time, then one dense layer."""
        def backbone(x, mask):
            pooled = keras.layers.GlobalAveragePooling1D()(x, mask=mask)
            return keras.layers.Dense(units, activation="relu")(pooled)

        return zoo.build_sequence_model(task, backbone, embed_dim=embed_dim, dropout=dropout,
                                        name="{name}")
''')

DATASET = textwrap.dedent('''
    """A dataset class, registered by the entry point (no decorator here)."""
    import numpy as np

    from benchmarks.data import Dataset


    class TinySeries(Dataset):
        """A plugin's forecasting dataset."""

        name = "tiny_series"
        family = "forecasting"
        offline = True
        source = licence = version = split_definition = "plugin"

        def prepare(self):
            raise NotImplementedError
''')

PYPROJECT = textwrap.dedent('''
    [build-system]
    requires = ["setuptools>=61"]
    build-backend = "setuptools.build_meta"

    [project]
    name = "seqzoo-tiny-plugin"
    version = "0.1"

    [project.entry-points."seqzoo.models"]
    tiny_mean = "tiny_plugin.models"

    [project.entry-points."seqzoo.datasets"]
    tiny_series = "tiny_plugin.data:TinySeries"
''')


def _seqzoo(*args: str, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.cli", *args],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "COLUMNS": "200", **env})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


def test_plugin_file_is_listed_and_runs_in_a_grid(tmp_path) -> None:
    plugin = tmp_path / "my_model.py"
    plugin.write_text(MODEL.format(name="mean_pool"))
    listed = _seqzoo("list", "--plugin", str(plugin)).stdout
    row = next(line for line in listed.splitlines() if "mean_pool" in line)
    assert "mean pool" in row and f"plugin file {plugin}"[:40] in " ".join(listed.split())
    store = tmp_path / "s.sqlite"
    _seqzoo("run", "--models", "mean_pool,rnn", "--datasets", "japanese_vowels", "--epochs",
            "1", "--no-baselines", "--plugin", str(plugin), "--store", str(store))
    runs = Store(store).runs()
    assert set(runs["model"]) == {"mean_pool", "rnn"} and set(runs["status"]) == {"ok"}
    digest = hashlib.sha256(plugin.read_bytes()).hexdigest()[:12]
    for extra in runs["extra"]:  # every row names the plugin code it ran with
        assert json.loads(extra)["plugins"] == [f"{plugin} (sha256 {digest})"]


@pytest.mark.slow  # ~20 s: pip-installs a package
def test_installed_package_registers_through_entry_points(tmp_path) -> None:
    package = tmp_path / "pkg"
    (package / "tiny_plugin").mkdir(parents=True)
    (package / "pyproject.toml").write_text(PYPROJECT)
    (package / "tiny_plugin" / "__init__.py").write_text("")
    (package / "tiny_plugin" / "models.py").write_text(MODEL.format(name="tiny_mean"))
    (package / "tiny_plugin" / "data.py").write_text(DATASET)
    site = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                              "--no-build-isolation", "--no-index", "--target", str(site),
                              str(package)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    models = " ".join(_seqzoo("list", **env).stdout.split())
    assert "tiny_mean" in models and "package seqzoo-tiny-plugin" in models
    data = _seqzoo("data", "list", **env).stdout  # a 120-column table: the origin wraps
    row = next(line for line in data.splitlines() if "tiny_series" in line)
    assert "forecasting" in row and "package" in row and "seqzoo-tiny-plugin" in data
