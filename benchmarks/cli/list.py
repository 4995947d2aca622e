"""``seqzoo list``: the model table with parameter counts for each task shape."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import zoo
from results.tables import markdown_table

#: Representative task shapes for parameter counts (the shapes of the offline datasets).
REFERENCE_TASKS = {
    "tokens->classes": zoo.TaskSpec("classification", "tokens", seq_len=64, vocab_size=20000,
                                    num_outputs=2),
    "frames->classes": zoo.TaskSpec("classification", "features", seq_len=98, num_features=40,
                                    num_outputs=12),
    "steps->horizon": zoo.TaskSpec("forecasting", "features", seq_len=120, num_features=28,
                                   num_outputs=24),
}

COLUMNS = ["model", "family", "description", *REFERENCE_TASKS, "paper"]


def model_rows(pattern: str = "*") -> list[list[object]]:
    """One row per registered model matching ``pattern``, with parameter counts per shape."""
    names = zoo.list_models(pattern)
    if not names:
        raise ValueError(f"no model id matches {pattern!r}; known: {', '.join(zoo.list_models())}")
    rows = []
    for name in names:
        info = zoo.get_model_info(name)
        counts = [f"{zoo.build_model(name, task).count_params():,}"
                  if _supports(info, task) else "n/a" for task in REFERENCE_TASKS.values()]
        rows.append([name, info.family, info.description, *counts, info.paper])
    return rows


def _supports(info: zoo.ModelInfo, task: zoo.TaskSpec) -> bool:
    try:
        info.check_task(task)
    except ValueError:
        return False
    return True


def model_table_markdown(pattern: str = "*") -> str:
    """The model table as Markdown (what the README embeds)."""
    shapes = "; ".join(f"`{k}`: {_describe(t)}" for k, t in REFERENCE_TASKS.items())
    return (markdown_table(COLUMNS, model_rows(pattern))
            + "\n\nColumns by task shape give parameter counts at default hyperparameters; "
            + f"{shapes}.")


def _describe(task: zoo.TaskSpec) -> str:
    if task.input == "tokens":
        return f"{task.seq_len} tokens, vocab {task.vocab_size:,}, {task.num_outputs} classes"
    what = "classes" if task.kind == "classification" else "outputs"
    return f"{task.seq_len} x {task.num_features} features, {task.num_outputs} {what}"


@dataclass(frozen=True)
class ListRequest:
    """What ``seqzoo list`` shows: the models matching ``pattern``, as a table or Markdown."""

    pattern: str = "*"
    markdown: bool = False


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``seqzoo list``."""
    p.add_argument("filter", nargs="?", default="*",
                   help="shell-style filter on model ids, e.g. '*lstm*' (default: all)")
    p.add_argument("--markdown", action="store_true",
                   help="print the table as Markdown (as embedded in the docs)")


def main(args: argparse.Namespace) -> int:
    """``seqzoo list``."""
    return show(ListRequest(args.filter, args.markdown))


def show(request: ListRequest) -> int:
    """Print the model table of ``request``."""
    if request.markdown:
        print(model_table_markdown(request.pattern))
        return 0
    from rich.console import Console
    from rich.table import Table

    from benchmarks.plugins import origin

    table = Table(title="seqzoo models: parameters per task shape",
                  caption="tokens: sentiment text; frames: spoken commands; steps: forecasting")
    keep = [i for i, column in enumerate(COLUMNS) if column not in ("description", "paper")]
    for i in keep:
        table.add_column(COLUMNS[i].split("->")[0], justify="right" if i > 1 else "left",
                         no_wrap=True)
    table.add_column("from")
    for row in model_rows(request.pattern):
        module = zoo.get_model_info(str(row[0])).module
        table.add_row(*(str(row[i]) for i in keep), origin(module))
    Console().print(table)
    return 0
