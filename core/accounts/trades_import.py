"""Trades from a broker's transaction-history CSV export, so an imported account's wheel cycles can be derived.

`preview_trades` reads a file into rows without touching the database (the page shows it before saving);
`import_trades` adds the rows the account does not have yet to `trades` (`source='import'`). Each row has a
natural key (`import_key`): the broker's own id where the file has one, else a digest of the trade day, action,
contract (in OCC spelling, so two spellings of one contract agree), quantity and price, with a count for
identical rows of one file (two equal fills are two trades). Importing a file twice, or a later export that
overlaps an earlier one, adds nothing twice. Unlike a positions import it never deletes: history only grows.

Rows: an option's quantity is in contracts, as the file writes it (the wheel multiplies by the contract size);
prices are per share; `fees` is the sum of the fee and commission columns (a blank cell in a file that has the
column is 0; a file without one has unknown fees, NULL). ASSIGNED and EXPIRED rows of options are stored as
such (core.wheel.cycles reads them). A file that cannot be read fails as a whole with one line naming the file
and the line, and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.accounts.csv_import import read_rows
from core.accounts.csv_presets import normalise_header
from core.accounts.errors import ImportFileError
from core.accounts.instruments import occ_symbol, parse_option_symbol
from core.accounts.registry import find_account
from core.accounts.scope import shares_per_unit
from core.accounts.trade_presets import (
    DATE_FORMATS,
    TRADE_LAYOUTS,
    TRADE_REQUIRED,
    TradeLayout,
    date_text,
)
from core.accounts.values import ValueFormatError, parse_amount, parse_quantity
from core.auth import Actor
from core.auth.audit import record_activity
from core.db.engine import unit_of_work
from core.db.models import Trade

HEADER_SEARCH_ROWS = 25  # exports put a title and blank lines above the header


@dataclass(frozen=True)
class TradeRow:
    line: int
    date: dt.date
    action: str  # BUY, SELL, ASSIGNED, EXPIRED
    symbol: str
    quantity: int  # positive: shares, or contracts for an option
    price: float | None  # per share; None for ASSIGNED / EXPIRED rows that give none
    fees: float | None  # None: the file reports no fees
    amount: float | None
    key: str  # the natural key (see the module doc)
    trade_id: str | None = None  # the broker's own id of the row, when the file has one


@dataclass(frozen=True)
class TradesPreview:
    file: str
    preset: str
    rows: list[TradeRow]  # oldest first
    skipped: list[tuple[int, str]]  # (line, why): dividends, transfers, totals


@dataclass(frozen=True)
class TradesReport:
    account: str
    preview: TradesPreview
    added: int
    already_stored: int


def preview_trades(path: str | Path, *, preset: str | None = None) -> TradesPreview:
    """The trades a file would import, read with a layout (detected from the header when None)."""
    path = Path(path)
    rows = read_rows(path)
    header_line, layout, index = _find_header(path, rows, _candidates(preset))
    fees_known = "fees" in index or "commission" in index
    parsed: list[TradeRow] = []
    skipped: list[tuple[int, str]] = []
    accounts: set[str] = set()
    for line, cells in rows:
        if line <= header_line:
            continue
        values = {name: cells[i].strip() if i < len(cells) else "" for name, i in index.items()}
        if sum(1 for c in cells if c.strip()) < 3 or not values["action"]:
            skipped.append((line, "not a trade row (blank, title, total or footer)"))
            continue
        action = layout.read_action(values["action"])
        if action is None:
            skipped.append((line, f"{values['action'][:60]}: not a trade"))
            continue
        try:
            parsed.append(_row(line, action, values, fees_known))
        except ValueFormatError as exc:
            raise ImportFileError(f"{path.name}:{line}: {exc}") from None
        if values.get("account_number"):
            accounts.add(values["account_number"])
    if len(accounts) > 1:
        listed = ", ".join(sorted(accounts))
        raise ImportFileError(f"{path.name}: holds trades of {len(accounts)} broker accounts ({listed}): export one")
    if not parsed:
        raise ImportFileError(f"{path.name}:{header_line}: no trade rows below the header")
    # Schwab and Fidelity export newest first (a one-day file too); stored oldest first, file order kept in a day
    if parsed[0].date > parsed[-1].date or (parsed[0].date == parsed[-1].date and layout.newest_first):
        parsed.reverse()
    parsed.sort(key=lambda r: r.date)
    return TradesPreview(path.name, layout.name, _keyed(parsed), skipped)


def import_trades(
    engine: Engine,
    account: str,
    path: str | Path,
    *,
    preset: str | None = None,
    owner: str | None = None,
    actor: Actor | None = None,
) -> TradesReport:
    """Add the file's trades the account does not have yet, all in one transaction (the caller,
    core.accounts.service, has checked that `actor` may manage the account)."""
    preview = preview_trades(path, preset=preset)
    with unit_of_work(engine, write=True) as session:
        target = find_account(session, account, owner)
        new = new_rows(session, target.id, preview)
        for r in new:
            units = shares_per_unit("import") if parse_option_symbol(r.symbol) else 1
            session.add(
                Trade(
                    account_id=target.id,
                    order_id=r.key,
                    symbol=r.symbol,
                    exchange="US",
                    product=None,
                    action=r.action,
                    quantity=r.quantity,
                    average_price=r.price,
                    trade_value=None if r.price is None else round(r.price * r.quantity * units, 4),
                    traded_at=None,
                    trade_date=r.date,
                    fees=r.fees,
                    source="import",
                    import_key=r.key,
                )
            )
        session.flush()
        record_activity(
            session,
            "trades_imported",
            actor=actor,
            target=f"account {target.account_name}",
            details={"message": f"{preview.file} into {target.account_name} ({preview.preset}): {len(new)} new"},
        )
        return TradesReport(target.account_name, preview, len(new), len(preview.rows) - len(new))


def new_rows(session: Session, account_id: int, preview: TradesPreview) -> list[TradeRow]:
    """The preview's rows the account does not have yet (by natural key)."""
    # every key of the account rather than an IN list of the file's: a long history would pass SQLite's limit
    # of bound parameters
    stored = set(
        session.scalars(select(Trade.import_key).where(Trade.account_id == account_id, Trade.import_key.is_not(None)))
    )
    return [r for r in preview.rows if r.key not in stored]


def _candidates(preset: str | None) -> list[TradeLayout]:
    if preset is None:
        return list(TRADE_LAYOUTS.values())
    if preset not in TRADE_LAYOUTS:
        raise ImportFileError(f"unknown preset {preset!r}: use one of {', '.join(TRADE_LAYOUTS)}")
    return [TRADE_LAYOUTS[preset]]


def _find_header(path: Path, rows, candidates: list[TradeLayout]) -> tuple[int, TradeLayout, dict[str, int]]:
    """The first line with every required column of a layout (the layout naming the most columns wins)."""
    for line, cells in rows[:HEADER_SEARCH_ROWS]:
        headers: dict[str, int] = {}
        for i, cell in enumerate(cells):
            headers.setdefault(normalise_header(cell), i)
        best = None
        for layout in candidates:
            index = {}
            for name, names in layout.columns.items():
                found = next((headers[normalise_header(h)] for h in names if normalise_header(h) in headers), None)
                if found is not None:
                    index[name] = found
            if all(name in index for name in TRADE_REQUIRED) and (best is None or len(index) > len(best[2])):
                best = (line, layout, index)
        if best is not None:
            return best
    if not rows:
        raise ImportFileError(f"{path.name}: the file is empty")
    first = candidates[0]
    wanted = ", ".join(f"{name} ({' / '.join(first.columns[name])})" for name in TRADE_REQUIRED)
    raise ImportFileError(
        f"{path.name}:1: no header row with the columns {wanted} in the first {HEADER_SEARCH_ROWS} lines"
        " (is it a transaction history, not a positions export?)"
    )


def _date(text: str) -> dt.date:
    day = date_text(text)
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(day, fmt).date()
        except ValueError:
            continue
    raise ValueFormatError(f"date {text[:40]!r} is not a date (MM/DD/YYYY or YYYY-MM-DD)")


def _row(line: int, action: str, values: dict[str, str], fees_known: bool) -> TradeRow:
    symbol = " ".join(values["symbol"].split())
    if not symbol:
        raise ValueFormatError(f"a {action} row has no symbol")
    day = _date(values["date"])
    option = parse_option_symbol(symbol)
    if action in ("ASSIGNED", "EXPIRED") and option is None:
        raise ValueFormatError(f"{values['action'][:40]} row of {symbol}: not an option symbol this import reads")
    try:
        quantity = abs(parse_quantity(values["quantity"]))
    except ValueFormatError:
        raise ValueFormatError(f"quantity {values['quantity']!r} of {symbol} is not a whole number") from None
    if not quantity:
        raise ValueFormatError(f"{action} of {symbol} has no quantity")
    price = parse_amount(values.get("price"), "price")
    amount = parse_amount(values.get("amount"), "amount")
    fees = None
    if fees_known:
        parts = [parse_amount(values.get(name), name) for name in ("fees", "commission")]
        fees = round(float(sum(abs(p) for p in parts if p is not None)), 4)
    if action in ("BUY", "SELL"):
        if price is None and amount is not None:  # the cash moved, net of fees, gives the price
            gross = abs(amount) + (fees or 0.0) if action == "SELL" else abs(amount) - (fees or 0.0)
            price = gross / (quantity * (shares_per_unit("import") if option else 1))
        if price is None:
            raise ValueFormatError(f"{action} of {symbol} has no price or amount")
        if price < 0:
            raise ValueFormatError(f"{action} of {symbol} has a negative price {values['price']!r}")
    return TradeRow(line, day, action, symbol, quantity, price, fees, amount, "", values.get("trade_id") or None)


def _keyed(rows: list[TradeRow]) -> list[TradeRow]:
    """Each row with its natural key (see the module doc)."""
    seen: Counter[str] = Counter()
    keyed = []
    for row in rows:
        if row.trade_id:
            text = f"id|{row.trade_id}"
            keyed.append(TradeRow(**{**row.__dict__, "key": "csv-" + hashlib.sha256(text.encode()).hexdigest()[:40]}))
            continue
        option = parse_option_symbol(row.symbol)
        contract = occ_symbol(option) if option else row.symbol.upper()
        price = "" if row.price is None else f"{row.price:.4f}"
        basis = f"{row.date.isoformat()}|{row.action}|{contract}|{row.quantity}|{price}"
        seen[basis] += 1
        text = f"{basis}#{seen[basis]}"
        keyed.append(TradeRow(**{**row.__dict__, "key": "csv-" + hashlib.sha256(text.encode()).hexdigest()[:40]}))
    return keyed
