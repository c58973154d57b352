"""Column layouts of brokers' transaction-history exports, for the trades import (docs/accounts.md lists them).

A layout maps each field to the header names a broker uses for it (matched as in core.accounts.csv_presets:
case-insensitively, spaces collapsed) and reads the broker's action text into one of BUY, SELL, ASSIGNED,
EXPIRED, or None for rows that are not trades (dividends, interest, transfers), which the import skips.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

TRADE_FIELDS = (
    "date",  # required
    "action",  # required
    "symbol",  # required
    "quantity",  # required: shares, or contracts for options (the sign is ignored: the action says the side)
    "price",  # per share (per underlying share for options)
    "fees",  # fees, and commissions when the file has a column of its own for them
    "commission",
    "amount",  # the cash the row moved (negative: paid)
    "description",
    "trade_id",  # a broker's own id of the row, when the file has one: the row's natural key
    "exchange",
    "account_number",
)
TRADE_REQUIRED = ("date", "action", "symbol", "quantity")
ACTIONS = ("BUY", "SELL", "ASSIGNED", "EXPIRED")


@dataclass(frozen=True)
class TradeLayout:
    name: str
    columns: dict[str, tuple[str, ...]]
    read_action: Callable[[str], str | None]
    notes: str = ""
    newest_first: bool = False  # the broker's row order when a file's first and last dates are the same


_PLAIN = {
    "buy": "BUY",
    "bought": "BUY",
    "buy to open": "BUY",
    "buy to close": "BUY",
    "bto": "BUY",
    "btc": "BUY",
    "sell": "SELL",
    "sold": "SELL",
    "sell to open": "SELL",
    "sell to close": "SELL",
    "sell short": "SELL",
    "sto": "SELL",
    "stc": "SELL",
    "assigned": "ASSIGNED",
    "assignment": "ASSIGNED",
    "expired": "EXPIRED",
    "expiration": "EXPIRED",
    "expire": "EXPIRED",
}


def plain_action(text: str) -> str | None:
    """Schwab's and the generic layout's actions: 'Sell to Open', 'Buy to Close', 'Assigned', 'Expired', 'Buy'."""
    return _PLAIN.get(" ".join(text.split()).lower())


def fidelity_action(text: str) -> str | None:
    """Fidelity's sentences: 'YOU SOLD OPENING TRANSACTION PUT (AAPL) ...', 'ASSIGNED as of Jan-16-2026 PUT
    (AAPL) ...', 'EXPIRED PUT (AAPL) ...', 'YOU BOUGHT ASSIGNED PUTS AS OF 01-16-26 APPLE INC (AAPL) (Cash)'."""
    words = " ".join(text.split()).upper()
    if words.startswith("YOU BOUGHT"):
        return "BUY"
    if words.startswith("YOU SOLD"):
        return "SELL"
    if words.startswith("ASSIGNED"):
        return "ASSIGNED"
    if words.startswith("EXPIRED"):
        return "EXPIRED"
    return None


SCHWAB_TRADES = TradeLayout(
    name="schwab",
    columns={
        "date": ("Date",),
        "action": ("Action",),
        "symbol": ("Symbol",),
        "description": ("Description",),
        "quantity": ("Quantity", "Qty"),
        "price": ("Price",),
        "fees": ("Fees & Comm", "Fees & Commissions"),
        "amount": ("Amount",),
    },
    read_action=plain_action,
    newest_first=True,
    notes="History > Transactions > Export; newest first; dates '01/20/2026' or '01/20/2026 as of 01/16/2026'",
)

FIDELITY_TRADES = TradeLayout(
    name="fidelity",
    columns={
        "date": ("Run Date",),
        "account_number": ("Account", "Account Number"),
        "action": ("Action",),
        "symbol": ("Symbol",),
        "description": ("Description",),
        "quantity": ("Quantity",),
        "price": ("Price ($)", "Price"),
        "commission": ("Commission ($)", "Commission"),
        "fees": ("Fees ($)", "Fees"),
        "amount": ("Amount ($)", "Amount"),
    },
    read_action=fidelity_action,
    newest_first=True,
    notes="Activity & Orders > History > Download (Accounts_History.csv); options as ' -AAPL260116P150'",
)

GENERIC_TRADES = TradeLayout(
    name="generic",
    columns={
        "date": ("date", "trade date", "trade_date"),
        "action": ("action", "side", "transaction type"),
        "symbol": ("symbol", "ticker"),
        "quantity": ("quantity", "qty", "shares", "contracts"),
        "price": ("price", "fill price", "average_price"),
        "fees": ("fees", "fee", "fees & comm", "fees and commissions"),
        "commission": ("commission", "commissions"),
        "amount": ("amount", "net amount", "net_amount"),
        "description": ("description",),
        "trade_id": ("trade_id", "trade id", "id", "transaction id"),
        "exchange": ("exchange",),
    },
    read_action=plain_action,
    notes="headers date, action, symbol, quantity and optionally price, fees, commission, amount, trade_id",
)

TRADE_LAYOUTS = {layout.name: layout for layout in (SCHWAB_TRADES, FIDELITY_TRADES, GENERIC_TRADES)}

# Schwab writes the posting day first and the trade day after "as of"; the trade day is the one that counts.
_AS_OF = re.compile(r"\bas of\b", re.IGNORECASE)
DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y", "%Y/%m/%d", "%d-%b-%Y", "%b-%d-%Y")


def date_text(cell: str) -> str:
    """The trade day's text of a date cell ('01/20/2026 as of 01/16/2026' -> '01/16/2026')."""
    parts = _AS_OF.split(cell)
    return parts[-1].strip()
