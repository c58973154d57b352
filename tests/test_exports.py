"""CSV exports cannot carry a spreadsheet formula (issue 10, class 5), and every export goes through one helper.

The class: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
Excel, LibreOffice and Google Sheets. `core.exports` neutralises it (OWASP: a leading `'`) and leaves numbers
alone. The guards below find every export path -- every CSV writer in the code, every CSV download button on a
page -- so a new export that bypasses the helper, or a new download whose exporter is not tested here, fails.
"""

from __future__ import annotations

import ast
import csv
import io

import pandas as pd
import pytest

from core.exports import FORMULA_LEADS, frame_csv, rows_csv, safe_cell
from core.premiums import service as premiums_service
from core.scanner import service as scanner_service
from core.watchlists import service as watchlists_service
from core.watchlists.formats import Entry, WatchlistInfo
from tests.conftest import REPO_ROOT

PAYLOADS = ('HYPERLINK("http://evil.example","click")', "cmd|' /C calc'!A0", "SUM(1+1)*cmd|' /C calc'!A0", "1+1")
NUMBERS = (0, -1, 2.5, -0.001, 1e-9, "-1.5", "+3", "-2e-5", ".5", "42")


@pytest.mark.parametrize("lead", FORMULA_LEADS, ids=repr)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_formula_lead_is_neutralised(lead, payload):
    cell = lead + payload
    assert safe_cell(cell) == "'" + cell
    (row,) = list(csv.reader(io.StringIO(rows_csv(["x"], [[cell]]))))[1:]
    assert row == ["'" + cell]


@pytest.mark.parametrize("value", NUMBERS, ids=repr)
def test_numbers_are_left_as_they_are(value):
    assert safe_cell(value) == value
    assert list(csv.reader(io.StringIO(frame_csv(pd.DataFrame({"v": [value]})))))[1] == [str(value)]


def test_text_that_is_no_formula_is_left_as_it_is():
    for value in ("AAPL", "BRK-B", "Technology", "", None, "a=b", "x-1", "'quoted"):
        assert safe_cell(value) == value


def test_frames_neutralise_text_cells_and_column_names_only():
    frame = pd.DataFrame({"symbol": ["AAPL", "=BAD()"], "=name": ["-cmd|x", "ok"], "strike": [-5.0, 10.0]})
    rows = list(csv.reader(io.StringIO(frame_csv(frame))))
    assert rows == [["symbol", "'=name", "strike"], ["AAPL", "'-cmd|x", "-5.0"], ["'=BAD()", "ok", "10.0"]]


def _hostile_frame() -> pd.DataFrame:
    return pd.DataFrame({"symbol": ["AAPL"], "signal": ["-BUY"], "=HYPERLINK(1)": ["@SUM(1)"], "close": [-1.25]})


# Every exporter a CSV download button on a page calls, and what it makes of hostile cells.
EXPORTERS = {
    "service.results_csv": lambda: scanner_service.results_csv(_hostile_frame()).decode(),
    "service.table_csv": lambda: premiums_service.table_csv(  # the screen's own columns: only those are exported
        pd.DataFrame({"symbol": ["AAPL"], "name": ["=HYPERLINK(1)"], "sector": ["@SUM(1)"], "delta": [-0.25]})
    ),
    "service.export_csv": lambda: watchlists_service.export_csv(
        WatchlistInfo(1, "w", None, (Entry("=cmd|' /C calc'!A0", "+X"), Entry("AAPL", "NASDAQ")))
    ),
}


@pytest.mark.parametrize("name", sorted(EXPORTERS))
def test_each_download_exporter_neutralises_formulas_and_keeps_numbers(name):
    rows = list(csv.reader(io.StringIO(EXPORTERS[name]())))
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(FORMULA_LEADS) and not _is_number(cell) for cell in cells), rows
    assert any(cell.startswith("'") for cell in cells)
    if "close" in rows[0]:
        assert rows[1][rows[0].index("close")] == "-1.25"


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _sources(*folders: str):
    for folder in folders:
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            yield path.relative_to(REPO_ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def test_only_core_exports_writes_csv():
    writers = []
    for name, tree in _sources("core", "pages", "ui", "bench"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                called = _dotted(node.func)
                if node.func.attr == "to_csv" or called in ("csv.writer", "csv.DictWriter"):
                    writers.append((name, node.lineno, called))
    assert {name for name, _, _ in writers} == {"core/exports.py"}, writers


def test_every_csv_download_on_a_page_uses_a_tested_exporter():
    downloads = []
    for name, tree in _sources("pages", "ui"):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _dotted(node.func).endswith("download_button")):
                continue
            source = ast.unparse(node)
            if ".csv" not in source and "text/csv" not in source:
                continue
            data = node.args[1] if len(node.args) > 1 else next(k.value for k in node.keywords if k.arg == "data")
            if isinstance(data, ast.Lambda):  # made when the button is clicked: the lambda's body is the call
                data = data.body
            assert isinstance(data, ast.Call), f"{name}:{node.lineno}: the CSV is not made by an exporter call"
            downloads.append(_dotted(data.func))
    assert sorted(set(downloads)) == sorted(EXPORTERS), downloads
