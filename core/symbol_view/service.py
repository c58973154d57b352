"""What the Symbol page calls: one symbol found by search, in depth (core/symbol_view/shapes.py says how the
smile and the term structure are cut). Every read is a read-only unit of work and needs the viewer role.

The chains are read through `DatabaseScanner` (core.premiums.screen), so every number is the screen's, against
the same as-of date; the payoff at expiry is core.premiums.symbol_detail's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, select

from core.auth.roles import Actor, Permission, require
from core.db.engine import unit_of_work
from core.db.models import Stock, StockData
from core.premiums.screen import DatabaseScanner
from core.premiums.symbol_detail import CHAIN_COLUMNS, Trade, breakeven, payoff_curve, side_by_side, size_of
from core.symbol_view.shapes import otm_wings, term_structure
from core.symbols import is_ticker


class UnknownSymbol(LookupError):
    """No stock of that symbol is stored (sync it first)."""


class NoTradableContract(LookupError):
    """The chosen contract is not in the chain or has no tradable mid: there is no payoff to draw."""


@dataclass(frozen=True)
class SymbolChoice:
    symbol: str
    name: str | None

    @property
    def label(self) -> str:
        return f"{self.symbol} — {self.name}" if self.name else self.symbol


@dataclass(frozen=True)
class SymbolProfile:
    """The stock's profile and volatility summary as stored by its last sync (fractions for IV and HV)."""

    symbol: str
    name: str | None
    sector: str | None
    market_cap: int | None
    dividend_yield: float | None
    ex_dividend_date: dt.date | None
    next_earnings_date: dt.date | None
    price: float | None
    quote_time: dt.datetime | None
    iv30: float | None
    iv_rank: float | None
    iv_percentile: float | None
    hv20: float | None
    hv60: float | None


@dataclass(frozen=True)
class SymbolOverview:
    profile: SymbolProfile
    expirations: list[dt.date]  # listed after the as-of date, soonest first
    term: pd.DataFrame  # shapes.term_structure: ATM IV and expected move per expiry
    history: pd.DataFrame  # date, close, iv30, ... over the past year, oldest first


@dataclass(frozen=True)
class Payoff:
    """A short put (cash-secured) or a covered call at expiry: the fields ui.charts.payoff_figure draws."""

    trade: Trade
    payoff: pd.DataFrame  # price, pnl (dollars per contract)
    breakeven: float
    max_profit: float


@dataclass(frozen=True)
class ExpiryView:
    """One expiry of the symbol: the whole chain (both sides) and the out-of-the-money smile."""

    symbol: str
    expiration_date: dt.date
    dte: int | None
    spot: float | None
    chain: pd.DataFrame  # CHAIN_COLUMNS, flagged rows included, by type and strike
    smile: pd.DataFrame  # shapes.otm_wings

    def side_by_side(self) -> pd.DataFrame:
        """Calls, strike, puts: the chain the way it is usually read."""
        return side_by_side(self.chain)

    def payoff(self, option_type: str, strike: float) -> Payoff:
        """Selling the `option_type` at `strike` (put: cash-secured; call: covered) filled at its mid."""
        row = self.chain[(self.chain["option_type"] == option_type) & (self.chain["strike"] == strike)]
        if row.empty or pd.isna(row["mid"].iloc[0]) or self.spot is None:
            raise NoTradableContract(
                f"{self.symbol}: no tradable {option_type} at {strike:g} on {self.expiration_date}"
            )
        strategy = "csp" if option_type == "put" else "cc"
        mid = float(row["mid"].iloc[0])
        size = size_of(float(row["premium"].iloc[0]), mid)  # the chain's premium is mid x the contract's size
        trade = Trade(self.symbol, strategy, self.expiration_date, float(strike), mid, self.spot, size)
        curve, max_profit = payoff_curve(trade)
        return Payoff(trade, curve, breakeven(trade), max_profit)


def symbols(engine: Engine, actor: Actor) -> list[SymbolChoice]:
    """Every stored stock, by symbol, for the page's search box."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        rows = session.execute(select(Stock.symbol, Stock.name).order_by(Stock.symbol)).all()
    return [SymbolChoice(r.symbol, r.name) for r in rows]


def overview(engine: Engine, actor: Actor, symbol: str, as_of: dt.date | None = None) -> SymbolOverview:
    """The symbol's profile, listed expiries, term structure and history (UnknownSymbol when not stored)."""
    require(actor, Permission.READ)
    symbol = _symbol(symbol)
    with unit_of_work(engine) as session:
        row = session.execute(
            select(Stock, StockData)
            .outerjoin(StockData, StockData.symbol == Stock.symbol)
            .where(Stock.symbol == symbol)
        ).one_or_none()
        if row is None:
            raise UnknownSymbol(f"no stock {symbol!r} is stored: sync it first")
        stock, data = row
        scanner = DatabaseScanner(session)
        expirations = scanner.expirations(symbol, as_of=as_of)
        chains = {e: scanner.contract_chain(symbol, e, strikes=None, as_of=as_of) for e in expirations}
        history = scanner.symbol_history(symbol, as_of=as_of)
    profile = SymbolProfile(
        symbol=stock.symbol,
        name=stock.name,
        sector=stock.sector,
        market_cap=stock.market_cap,
        dividend_yield=stock.dividend_yield,
        ex_dividend_date=stock.ex_dividend_date,
        next_earnings_date=stock.next_earnings_date,
        price=data.price if data else stock.current_price,
        quote_time=data.quote_time if data else None,
        iv30=data.iv30 if data else None,
        iv_rank=data.iv_rank if data else None,
        iv_percentile=data.iv_percentile if data else None,
        hv20=data.hv20 if data else None,
        hv60=data.hv60 if data else None,
    )
    spot = _spot(chains, profile.price)
    dtes = {e: int(c["dte"].iloc[0]) if len(c) else (e - (as_of or e)).days for e, c in chains.items()}
    term = term_structure(chains, spot, dtes) if spot else term_structure({}, 0.0, {})
    return SymbolOverview(profile, expirations, term, history)


def expiry(engine: Engine, actor: Actor, symbol: str, expiration: dt.date, as_of: dt.date | None = None) -> ExpiryView:
    """One expiry's whole chain and its out-of-the-money smile, against the as-of date."""
    require(actor, Permission.READ)
    symbol = _symbol(symbol)
    with unit_of_work(engine) as session:
        chain = DatabaseScanner(session).contract_chain(symbol, expiration, strikes=None, as_of=as_of)
    spot = _spot({expiration: chain}, None)
    dte = int(chain["dte"].iloc[0]) if len(chain) else None
    smile = otm_wings(chain, spot) if spot else otm_wings(chain.iloc[0:0], 0.0)
    return ExpiryView(symbol, expiration, dte, spot, chain[[c for c in CHAIN_COLUMNS if c in chain]], smile)


def _symbol(text: str) -> str:
    symbol = str(text).strip().upper()
    if not is_ticker(symbol):
        raise UnknownSymbol(f"{text!r} is not a ticker symbol")
    return symbol


def _spot(chains: dict, fallback: float | None) -> float | None:
    """The underlying price the chains were quoted against (the latest stored), else the stock's price."""
    prices = [float(p) for c in chains.values() for p in c["underlying_price"].dropna().iloc[:1]]
    return prices[0] if prices else fallback


__all__ = [
    "ExpiryView",
    "NoTradableContract",
    "Payoff",
    "SymbolChoice",
    "SymbolOverview",
    "SymbolProfile",
    "UnknownSymbol",
    "expiry",
    "overview",
    "symbols",
]
