"""Column layouts of broker position exports that OpenAlgo does not reach (docs/accounts.md lists them).

A layout maps each field we store to the header names a broker uses for it (matched case-insensitively,
spaces collapsed). `generic` is the fallback and the base of a user's own mapping (`--columns`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

FIELDS = (
    "symbol",  # required
    "quantity",  # required: shares, or contracts for options (negative when short)
    "average_price",  # per share (per underlying share for options)
    "cost_basis",  # total cost; gives the average price when the file has no per-share column
    "last_price",
    "market_value",
    "pnl",
    "pnl_percent",
    "security_type",
    "exchange",
    "account_number",
)
REQUIRED = ("symbol", "quantity")


@dataclass(frozen=True)
class Preset:
    name: str
    columns: dict[str, tuple[str, ...]]
    # rows that are not positions (cash, totals, pending activity), by symbol, compared lower-case
    skip_symbols: tuple[str, ...] = ()
    skip_suffixes: tuple[str, ...] = ()  # e.g. Fidelity's money-market funds: 'SPAXX**'
    cash_types: tuple[str, ...] = ("cash and money market", "cash", "money market")
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)


SCHWAB = Preset(
    name="schwab",
    columns={
        "symbol": ("Symbol",),
        "quantity": ("Qty (Quantity)", "Quantity", "Qty"),
        "last_price": ("Price",),
        "market_value": ("Mkt Val (Market Value)", "Market Value"),
        "cost_basis": ("Cost Basis",),
        "pnl": ("Gain $ (Gain/Loss $)", "Gain/Loss $"),
        "pnl_percent": ("Gain % (Gain/Loss %)", "Gain/Loss %"),
        "security_type": ("Security Type",),
    },
    skip_symbols=("cash & cash investments", "account total", "cash and money market"),
    notes="Positions page > Export: a title line, a blank line, then the header; options as 'AAPL 01/19/2024 150.00 P'",
)

FIDELITY = Preset(
    name="fidelity",
    columns={
        "account_number": ("Account Number",),
        "symbol": ("Symbol",),
        "quantity": ("Quantity",),
        "last_price": ("Last Price",),
        "market_value": ("Current Value",),
        "pnl": ("Total Gain/Loss Dollar",),
        "pnl_percent": ("Total Gain/Loss Percent",),
        "cost_basis": ("Cost Basis Total",),
        "average_price": ("Average Cost Basis",),
        # Fidelity's "Type" is the margin type (Cash / Margin), not the security type: not mapped
    },
    skip_symbols=("pending activity",),
    skip_suffixes=("**",),
    notes="Portfolio > Positions > Download (Portfolio_Positions_*.csv); options as '-AAPL240119P150'",
)

GENERIC = Preset(
    name="generic",
    columns={
        "symbol": ("symbol", "ticker"),
        "quantity": ("quantity", "qty", "shares"),
        "average_price": ("average_price", "average price", "avg price", "average cost"),
        "cost_basis": ("cost_basis", "cost basis"),
        "last_price": ("last_price", "last price", "price", "ltp"),
        "market_value": ("market_value", "market value"),
        "pnl": ("pnl", "gain/loss", "unrealized p&l"),
        "pnl_percent": ("pnl_percent", "gain/loss %"),
        "security_type": ("security_type", "type", "asset class"),
        "exchange": ("exchange",),
    },
    notes="headers symbol, quantity and optionally average_price, cost_basis, last_price, market_value, pnl, ...",
)

PRESETS = {p.name: p for p in (SCHWAB, FIDELITY, GENERIC)}


def custom_preset(columns: dict[str, str]) -> Preset:
    """The generic layout with the user's own header names (field -> header) taking precedence."""
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}: use {', '.join(FIELDS)}")
    merged = dict(GENERIC.columns)
    for name, header in columns.items():
        merged[name] = (header,)
    return Preset(name="custom", columns=merged, notes="your --columns mapping over the generic layout")


def normalise_header(text: str) -> str:
    return " ".join(str(text).replace("\ufeff", "").split()).lower()
