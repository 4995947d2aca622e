"""Plain-text table rendering shared by the CLI and the reports."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

#: numbers as the reports format them: 1,234.5 or 0.81 ± 0.02 or a tied rank like 1= or 4 (=1)
NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+( ± [\d,]*\.?\d+)?(=| \(=1\))?$")


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table; number columns right-aligned, text left-aligned."""
    def cell(value: Any) -> str:
        return "" if value is None else str(value).replace("|", "\\|")

    def is_number(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) or (
            isinstance(value, str) and NUMBER.match(value) is not None)

    numeric = [bool(rows) and all(is_number(r[i]) for r in rows if r[i] not in (None, ""))
               and any(r[i] not in (None, "") for r in rows) for i in range(len(columns))]
    lines = ["| " + " | ".join(columns) + " |",
             "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def html_table(header: list[str], rows: list[list]) -> str:
    """An HTML table with every cell escaped."""
    cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{'' if v is None else html.escape(str(v))}</td>"
                                    for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def duration(seconds: float) -> str:
    """``seconds`` as hours and minutes, ``XhYYm``."""
    minutes = int(round(seconds / 60))
    return f"{minutes // 60}h{minutes % 60:02d}m"
