"""Every CSV the product writes goes through here, so no cell can become a spreadsheet formula.

A scanner names its own metrics and writes its own strings; a provider names sectors; a user names watchlists.
Opened in Excel, LibreOffice or Google Sheets, a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return is read as a formula (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`): CSV injection. OWASP's remedy is to
prefix such a cell with a single quote, which the spreadsheet shows as text, and to quote every text field (a
carriage return inside an unquoted field would otherwise start a new row in some readers). Numbers are left as
they are -- values that are ints and floats, and strings that are entirely one number (`-1.5`, `+3`, `1e-9`),
which a spreadsheet reads as that number and nothing else -- so a negative strike or a loss stays a number.
Headers are cells too (a scanner's metric name becomes one).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

import pandas as pd

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """`value`, or the text prefixed with `'` when a spreadsheet would read it as a formula."""
    if not isinstance(value, str) or not value.startswith(FORMULA_LEADS) or _NUMBER.fullmatch(value):
        return value
    return "'" + value


def write_rows(stream: IO[str], header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> None:
    """Write a header and rows as CSV to `stream`, every cell made safe."""
    writer = csv.writer(stream, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)


def rows_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """`write_rows` to a string."""
    buffer = io.StringIO()
    write_rows(buffer, header, rows)
    return buffer.getvalue()


def frame_csv(frame: pd.DataFrame) -> str:
    """A table as CSV (no index), its text cells and column names made safe and its numbers as pandas writes them."""
    safe = frame.rename(columns=lambda c: safe_cell(str(c)))
    text_columns = [c for c in safe.columns if not pd.api.types.is_numeric_dtype(safe[c])]
    if text_columns:
        safe[text_columns] = safe[text_columns].map(safe_cell)
    return safe.to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)


__all__ = ["FORMULA_LEADS", "frame_csv", "rows_csv", "safe_cell", "write_rows"]
