"""The prepared GPU check (``python -m benchmarks.perf.gpu``) on the CPU with tiny settings, so
it does not rot between GPU loans: the same commands, on JAX and PyTorch without TensorFlow."""

from __future__ import annotations

import subprocess
import sys

from clean import user_env

from results.store import Store


def test_the_gpu_check_runs_on_cpu_without_tensorflow(tmp_path, prepared) -> None:
    prepared("japanese_vowels")
    out = tmp_path / "gpu"
    env = user_env(tmp_path / "site", blocked=("tensorflow",))
    proc = subprocess.run([sys.executable, "-m", "benchmarks.perf.gpu", "--device", "cpu",
                           "--suite", "smoke", "--models", "gru", "--datasets",
                           "japanese_vowels", "--epochs", "1", "--peers-models", "gru",
                           "--shapes", "speech", "--samples", "32", "--repeats", "1",
                           "--out", str(out)], capture_output=True, text=True, env=env,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    runs = Store(out / "gpu.sqlite").runs()
    assert set(runs["status"]) == {"ok"}
    grid = runs[runs["suite"] == "smoke"]
    assert sorted(zip(grid["model"], grid["backend"], strict=True)) == [
        ("gru", "jax"), ("gru", "torch")]
    assert grid["kernel"].notna().all() and grid["train_samples_per_s"].notna().all()
    assert set(runs[runs["suite"] == "peers"]["backend"]) == {"jax", "torch"}
    table = (out / "gpu.md").read_text()
    assert "| gru | japanese_vowels | jax | cpu | ok |" in table
    assert (out / "report" / "leaderboard.md").exists() and (out / "peers.csv").exists()
