"""The house rules of docs/design.md: no import cycles, nothing below the command line imports
it, the light commands load no deep-learning backend, and the docs site builds strictly."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from clean import ok, seqzoo, user_env

from benchmarks.cli import COMMANDS
from results.record import RunRecord
from results.store import Store

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("zoo", "benchmarks", "results", "tuning")
BACKENDS = ("tensorflow", "jax", "torch", "keras")


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the project modules it imports, at module level or inside functions (a
    package's own ``__init__`` and its parents do not count)."""
    files = {".".join(f.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): f
             for package in packages for f in (root / package).rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def reachable(graph: dict[str, set[str]], start: list[str]) -> set[str]:
    """Every module ``start`` imports, directly or not."""
    seen, todo = set(start), list(start)
    while todo:
        for other in graph[todo.pop()] - seen:
            seen.add(other)
            todo.append(other)
    return seen


def test_the_cycle_finder_finds_a_planted_cycle(tmp_path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import x\n")
    (package / "b.py").write_text("def f():\n    from pkg import a\n")
    (package / "c.py").write_text("from . import a\n")
    assert cycles(import_graph(tmp_path, ("pkg",))) == [["pkg.a", "pkg.b"]]


def test_no_import_cycles() -> None:
    assert cycles(import_graph(ROOT, PACKAGES)) == []


def test_nothing_below_the_cli_imports_it() -> None:
    graph = import_graph(ROOT, PACKAGES)
    commands = [command.module for command in COMMANDS.values()]
    below = reachable(graph, commands) - {m for m in graph if m.startswith("benchmarks.cli")}
    offenders = {m: sorted(t for t in graph[m] if t.startswith("benchmarks.cli")) for m in below}
    assert {m: t for m, t in offenders.items() if t} == {}
    # the lower packages never import upwards
    for low, high in (("zoo", ("benchmarks", "results", "tuning")),
                      ("results", ("benchmarks", "zoo", "tuning"))):
        for module in (m for m in graph if m.split(".")[0] == low):
            assert not [t for t in graph[module] if t.split(".")[0] in high], module


def test_every_command_module_is_lazy_and_complete() -> None:
    for name, command in COMMANDS.items():
        path = ROOT / (command.module.replace(".", "/") + ".py")
        tree = ast.parse(path.read_text())
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert {"add_arguments", "main"} <= functions, name
        heavy = [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names]
        heavy += [n.module for n in tree.body if isinstance(n, ast.ImportFrom) and n.module]
        assert not [m for m in heavy if m.split(".")[0] in (*BACKENDS, "tuning")], name


def test_light_commands_import_no_backend(tmp_path) -> None:
    env = user_env(tmp_path / "site", blocked=BACKENDS)
    assert "run" in ok(seqzoo("--help", env=env))
    for name in COMMANDS:
        assert f"seqzoo {name}" in ok(seqzoo(name, "--help", env=env))
    names = ok(seqzoo("data", "list", "--names", env=env)).split()
    assert "mr_polarity" in names and "audio_dir" not in names
    store = tmp_path / "s.sqlite"
    Store(store).add(RunRecord(model="lstm", dataset="mr_polarity", seed=0, suite="quick",
                               backend="tensorflow", device="cpu", hparams_hash="h",
                               accuracy=0.7, primary_metric="accuracy", params=10))
    out = tmp_path / "report"
    ok(seqzoo("report", "--store", str(store), "--out", str(out), env=env))
    assert "lstm" in (out / "leaderboard.md").read_text()


def test_docs_build_strictly(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "site" / "api" / "index.html").exists()
