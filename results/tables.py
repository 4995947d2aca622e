"""Plain-text table rendering shared by the CLI and the reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table; numbers right-aligned, text left-aligned."""
    def cell(value: Any) -> str:
        return "" if value is None else str(value).replace("|", "\\|")

    numeric = [all(isinstance(r[i], (int, float)) for r in rows) if rows else False
               for i in range(len(columns))]
    lines = ["| " + " | ".join(columns) + " |",
             "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
