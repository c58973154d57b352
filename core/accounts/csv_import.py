"""Positions and holdings from a broker's CSV export, for brokers OpenAlgo does not reach.

`preview_positions` reads a file into rows without touching the database (the page shows it before saving);
`import_positions` stores the same rows as the account's imported snapshot: options become positions, everything
else holdings, all marked `source='import'`, and imported rows the new file lacks are deleted. A file that cannot
be read fails as a whole with one line naming the file and the line; nothing already stored changes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from core.accounts.books import replace_holdings, replace_positions
from core.accounts.csv_presets import GENERIC, PRESETS, REQUIRED, Preset, custom_preset, normalise_header
from core.accounts.errors import ImportFileError
from core.accounts.instruments import parse_option_symbol
from core.accounts.records import HoldingRecord, PositionRecord
from core.accounts.registry import find_account
from core.accounts.values import ValueFormatError, parse_amount, parse_quantity
from core.auth import Actor
from core.auth.audit import record_activity
from core.db.engine import unit_of_work

HEADER_SEARCH_ROWS = 25  # exports put a title and blank lines above the header
OPTION_MULTIPLIER = 100  # US equity options: a contract is 100 shares


@dataclass(frozen=True)
class ImportRow:
    line: int
    kind: str  # 'position' (an option) or 'holding'
    symbol: str
    exchange: str
    quantity: int
    average_price: float | None
    last_price: float | None
    pnl: float | None
    pnl_percent: float | None


@dataclass(frozen=True)
class ImportPreview:
    file: str
    preset: str
    rows: list[ImportRow]
    skipped: list[tuple[int, str]]  # (line, why): cash, totals, footers


@dataclass(frozen=True)
class ImportReport:
    account: str
    preview: ImportPreview
    positions: int
    holdings: int
    removed_positions: int
    removed_holdings: int


def preview_positions(
    path: str | Path, *, preset: str | None = None, columns: dict[str, str] | None = None
) -> ImportPreview:
    """The rows a file would import, read with a preset (auto-detected when None) or a custom column mapping."""
    path = Path(path)
    rows = read_rows(path)
    header_line, layout, index = _find_header(path, rows, _candidates(preset, columns))
    parsed, skipped, accounts = [], [], set()
    for line, cells in rows:
        if line <= header_line:
            continue
        values = {name: cells[i].strip() if i < len(cells) else "" for name, i in index.items()}
        reason = _skip_reason(layout, values, cells)
        if reason:
            skipped.append((line, reason))
            continue
        try:
            parsed.append(_row(line, values))
        except ValueFormatError as exc:
            raise ImportFileError(f"{path.name}:{line}: {exc}") from None
        if values.get("account_number"):
            accounts.add(values["account_number"])
    if len(accounts) > 1:
        listed = ", ".join(sorted(accounts))
        raise ImportFileError(f"{path.name}: holds positions of {len(accounts)} broker accounts ({listed}): export one")
    if not parsed:
        raise ImportFileError(f"{path.name}:{header_line}: no position rows below the header")
    return ImportPreview(file=path.name, preset=layout.name, rows=parsed, skipped=skipped)


def import_positions(
    engine: Engine,
    account: str,
    path: str | Path,
    *,
    preset: str | None = None,
    columns: dict[str, str] | None = None,
    owner: str | None = None,
    actor: Actor | None = None,
) -> ImportReport:
    """Replace the account's imported positions and holdings with the file's (the caller, core.accounts.service,
    has checked that `actor` may manage the account; the activity row names the actor)."""
    preview = preview_positions(path, preset=preset, columns=columns)
    positions = [
        PositionRecord(r.symbol, r.exchange, None, r.quantity, r.average_price, r.last_price, r.pnl)
        for r in preview.rows
        if r.kind == "position"
    ]
    holdings = [
        HoldingRecord(r.symbol, r.exchange, None, r.quantity, r.average_price, r.last_price, r.pnl, r.pnl_percent)
        for r in preview.rows
        if r.kind == "holding"
    ]
    for row in preview.rows:
        if row.kind == "position" and row.average_price is None:
            raise ImportFileError(f"{preview.file}:{row.line}: option {row.symbol} has no average price or cost basis")
    with unit_of_work(engine, write=True) as session:
        target = find_account(session, account, owner)
        written_p, removed_p = replace_positions(session, target.id, positions, source="import")
        written_h, removed_h = replace_holdings(session, target.id, holdings, source="import")
        record_activity(
            session,
            "positions_imported",
            actor=actor,
            target=f"account {target.account_name}",
            details={"message": f"{preview.file} into {target.account_name} ({preview.preset})"},
        )
        return ImportReport(target.account_name, preview, written_p, written_h, removed_p, removed_h)


def _candidates(preset: str | None, columns: dict[str, str] | None) -> list[Preset]:
    if columns:
        try:
            return [custom_preset(columns)]
        except ValueError as exc:
            raise ImportFileError(f"--columns: {exc}") from None
    if preset is None:
        return [PRESETS["schwab"], PRESETS["fidelity"], GENERIC]
    if preset not in PRESETS:
        raise ImportFileError(f"unknown preset {preset!r}: use one of {', '.join(PRESETS)}")
    return [PRESETS[preset]]


def read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line, cells) of a CSV file; an unreadable file (missing, not UTF-8 text, binary) is an ImportFileError."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            rows = [(reader.line_num, cells) for cells in reader]
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ImportFileError(f"{path.name}: not a UTF-8 text file (export it as CSV)") from None
    except csv.Error as exc:
        raise ImportFileError(f"{path.name}: not a readable CSV file ({exc})") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read ({exc.strerror})") from None
    for line, cells in rows:  # Python's csv reads NUL bytes: a binary file that happens to be valid UTF-8
        if any("\x00" in cell for cell in cells):
            raise ImportFileError(f"{path.name}:{line}: holds NUL bytes: a binary file, not a CSV export")
    return rows


def _find_header(path: Path, rows, candidates: list[Preset]) -> tuple[int, Preset, dict[str, int]]:
    best = None
    for line, cells in rows[:HEADER_SEARCH_ROWS]:
        headers = {normalise_header(c): i for i, c in enumerate(cells) if c.strip()}
        for layout in candidates:
            index = {
                name: headers[normalise_header(h)]
                for name, names in layout.columns.items()
                for h in names
                if normalise_header(h) in headers
            }
            if all(name in index for name in REQUIRED) and (best is None or len(index) > len(best[2])):
                best = (line, layout, index)
        if best is not None:
            return best
    if not rows:
        raise ImportFileError(f"{path.name}: the file is empty")
    wanted = " and ".join(f"{name} ({' / '.join(candidates[0].columns[name])})" for name in REQUIRED)
    raise ImportFileError(f"{path.name}:1: no header row with {wanted} in the first {HEADER_SEARCH_ROWS} lines")


def _skip_reason(layout: Preset, values: dict[str, str], cells: list[str]) -> str | None:
    symbol = values.get("symbol", "")
    if sum(1 for c in cells if c.strip()) < 2:
        return "not a position row (blank, title or footer)"
    if not symbol:
        return "no symbol"
    lowered = symbol.lower()
    if lowered in layout.skip_symbols or any(lowered.endswith(s) for s in layout.skip_suffixes):
        return f"{symbol}: cash or a total, not a position"
    if values.get("security_type", "").lower() in layout.cash_types:
        return f"{symbol}: cash, not a position"
    return None


def _row(line: int, values: dict[str, str]) -> ImportRow:
    symbol = values["symbol"].strip()
    try:
        quantity = parse_quantity(values["quantity"])
    except ValueFormatError:
        raise ValueFormatError(f"quantity {values['quantity']!r} of {symbol} is not a whole number") from None
    option = parse_option_symbol(symbol) is not None or "option" in values.get("security_type", "").lower()
    average = parse_amount(values.get("average_price"), "average price")
    cost = parse_amount(values.get("cost_basis"), "cost basis")
    if average is None and cost is not None and quantity:
        average = abs(cost) / (abs(quantity) * (OPTION_MULTIPLIER if option else 1))
    return ImportRow(
        line=line,
        kind="position" if option else "holding",
        symbol=symbol,
        exchange=values.get("exchange") or "US",
        quantity=quantity,
        average_price=average,
        last_price=parse_amount(values.get("last_price"), "last price"),
        pnl=parse_amount(values.get("pnl"), "gain/loss"),
        pnl_percent=parse_amount(values.get("pnl_percent"), "gain/loss %"),
    )
