"""Scan Premiums: the best cash-secured put or covered call per symbol, filtered and ranked in the database.

`DatabaseScanner(session)` is a manager: it reads through the caller's session and never commits. Every filter,
the per-symbol pick and the page cut happen in SQL (core/premiums/query.py); Python validates the filters, reads a
watchlist's symbols to bind them, and computes prob_otm for the (at most `limit`) rows returned.
docs/premiums.md walks through the SQL, the units, the indexes and the measured speed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core.clock import today_in_new_york
from core.config import get_settings
from core.db.models import StockPremium, SymbolDailyHistory
from core.premiums.filters import PRICE_BASES, RANGE_FILTERS, RANK_KEYS, PremiumFilters
from core.premiums.query import (
    COLUMNS,
    SQL_COLUMNS,
    Scope,
    Shape,
    bound_values,
    chain_statement,
    screen_statement,
)
from core.pricing import metrics
from core.symbols import WatchlistError, watchlist_symbols

_INT_COLUMNS = ("dte", "volume", "open_interest", "market_cap", "contracts_covered", "contracts_affordable")
_FLOAT_COLUMNS = (
    "strike",
    "bid",
    "ask",
    "mid",
    "premium",
    "intrinsic",
    "extrinsic",
    "capital",
    "delta",
    "iv",
    "vendor_iv",
    "monthly_return",
    "annualized_return",
    "flat_return",
    "flat_annualized_return",
    "breakeven",
    "cushion_pct",
    "pct_otm",
    "if_called_return",
    "spread_pct",
    "underlying_price",
    "iv_rank",
    "iv_percentile",
    "hv20",
    "hv60",
    "iv_hv",
    "dividend_yield",
    "cost_basis",
)


class InvalidFilters(ValueError):
    """A filter value the screen cannot use; `field` names the PremiumFilters field."""

    def __init__(self, field: str, problem: str):
        self.field = field
        super().__init__(f"invalid filter {field}: {problem}")


class UnknownWatchlist(InvalidFilters):
    """The watchlist named in the filters exists neither in `watchlists` nor in `tv_watchlists`."""

    def __init__(self, name: str):
        super().__init__("watchlist", f"no watchlist named {name!r}")


def _as_of(value: dt.date | None) -> dt.date:
    if value is None:
        return today_in_new_york()
    return value.date() if isinstance(value, dt.datetime) else value


# ---- validation ------------------------------------------------------------------------------------------
def _number(name: str, value, *, low: float | None = 0.0, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidFilters(name, f"expected a number, got {value!r}")
    if not math.isfinite(value):
        raise InvalidFilters(name, f"must be a finite number, got {value!r}")
    if low is not None and value < low:
        raise InvalidFilters(name, f"must be at least {low:g}, got {value:g}")
    if high is not None and value > high:
        raise InvalidFilters(name, f"must be at most {high:g}, got {value:g}")
    return float(value)


def _range(name: str, value, *, high: float | None = None) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise InvalidFilters(name, f"expected a (low, high) pair, got {value!r}")
    low, up = (_number(name, v, high=high) for v in value)
    if low > up:
        raise InvalidFilters(name, f"low {low:g} is above high {up:g}")
    return low, up


def validate(filters: PremiumFilters) -> None:
    """Raise `InvalidFilters` naming the first field that cannot be used (unknown key, low > high, < 0...)."""
    f = filters
    if f.strategy not in ("csp", "cc"):
        raise InvalidFilters("strategy", f"expected 'csp' or 'cc', got {f.strategy!r}")
    if f.price_basis not in PRICE_BASES:
        raise InvalidFilters("price_basis", f"expected 'mid' or 'bid', got {f.price_basis!r}")
    if f.rank_by not in RANK_KEYS:
        raise InvalidFilters("rank_by", f"expected one of {', '.join(RANK_KEYS)}, got {f.rank_by!r}")
    if _range("dte", f.dte) is None:
        raise InvalidFilters("dte", "a (low, high) range of days is required")
    if any(int(v) != v for v in f.dte):
        raise InvalidFilters("dte", f"days must be whole numbers, got {f.dte!r}")
    _range("delta", f.delta, high=1.0)
    _range("price", f.price)
    _range("iv", f.iv)
    for name in RANGE_FILTERS:
        _range(name, getattr(f, name))
    for name in (
        "min_premium",
        "min_monthly_return",
        "min_annualized_return",
        "min_volume",
        "min_open_interest",
        "max_spread_pct",
    ):
        if getattr(f, name) is not None:
            _number(name, getattr(f, name))
    for name in ("min_iv_rank", "min_iv_percentile"):
        if getattr(f, name) is not None:
            _number(name, getattr(f, name), high=100.0)
    for name in ("exclude_earnings", "exclude_ex_dividend", "all_contracts"):
        if not isinstance(getattr(f, name), bool):
            raise InvalidFilters(name, f"expected true or false, got {getattr(f, name)!r}")
    if isinstance(f.limit, bool) or not isinstance(f.limit, (int, np.integer)) or f.limit < 1:
        raise InvalidFilters("limit", f"must be a whole number of at least 1, got {f.limit!r}")
    if isinstance(f.sectors, str) or not all(isinstance(s, str) for s in f.sectors):
        raise InvalidFilters("sectors", f"expected a sequence of sector names, got {f.sectors!r}")
    if f.watchlist is not None and (not isinstance(f.watchlist, str) or not f.watchlist.strip()):
        raise InvalidFilters("watchlist", f"expected a watchlist name, got {f.watchlist!r}")
    if f.as_of is not None and not isinstance(f.as_of, dt.date):
        raise InvalidFilters("as_of", f"expected a date, got {f.as_of!r}")


def _validate_scope(filters: PremiumFilters, scope: Scope | None) -> None:
    """A scope the screen cannot use: holdings with puts, negative cash, a strike range upside down."""
    if scope is None:
        return
    if scope.holdings and filters.strategy != "cc":
        raise InvalidFilters("strategy", "the holdings scope screens covered calls (strategy 'cc')")
    if scope.cash is not None:
        _number("cash", scope.cash)
    low, high = scope.strike
    if low is not None and high is not None and low > high:
        raise InvalidFilters("strike", f"low {low:g} is above high {high:g}")


# ---- the manager -----------------------------------------------------------------------------------------
class DatabaseScanner:
    """The Scan Premiums queries over one session (read-only; the caller owns the transaction)."""

    def __init__(self, session: Session, *, risk_free_rate: float | None = None):
        self.session = session
        self.risk_free_rate = get_settings().risk_free_rate if risk_free_rate is None else risk_free_rate

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def best_per_symbol(self, filters: PremiumFilters, scope: Scope | None = None) -> pd.DataFrame:
        """The best contract per symbol under `filters` (every contract if `all_contracts`), best first.

        Columns are `COLUMNS`, then what the `scope` adds (holdings: contracts_covered, cost_basis; cash:
        contracts_affordable); `frame.attrs` carries `as_of` and `rank_by`. At most `filters.limit` rows.
        """
        validate(filters)
        _validate_scope(filters, scope)
        as_of = _as_of(filters.as_of)
        stmt, values = self.statement(filters, as_of, scope)
        shape = Shape.of(filters, "symbols" in values, scope)
        frame = self._frame(self.session.execute(stmt, values).all(), (*SQL_COLUMNS, *shape.extra_columns()))
        frame.attrs.update(as_of=as_of, rank_by=filters.rank_by, price_basis=filters.price_basis)
        return frame

    def statement(
        self, filters: PremiumFilters, as_of: dt.date, scope: Scope | None = None
    ) -> tuple[Select, dict[str, Any]]:
        """The screen's SELECT for this session's database (no prob_otm: Python adds it) and its bound values.

        The SELECT depends only on which filters are set, so it is built once per shape and reused; every
        value, a watchlist's symbols included, travels as a bound parameter.
        """
        symbols = self._watchlist_symbols(filters.watchlist)
        if scope is not None and scope.symbols is not None:
            wanted = [s.strip().upper() for s in scope.symbols]
            symbols = wanted if symbols is None else [s for s in symbols if s in set(wanted)]
        stmt = screen_statement(self.dialect, Shape.of(filters, symbols is not None, scope))
        return stmt, bound_values(filters, as_of, symbols, scope)

    def contract_chain(
        self,
        symbol: str,
        expiration: dt.date,
        *,
        option_type: str | None = None,
        strikes: int | None = 10,
        as_of: dt.date | None = None,
    ) -> pd.DataFrame:
        """One symbol's contracts of one expiry around the money: the `strikes` strikes nearest the underlying
        per option type (all if None), flagged rows included with `quality_flag`; sorted by type and strike."""
        if option_type not in (None, "put", "call"):
            raise InvalidFilters("option_type", f"expected 'put' or 'call', got {option_type!r}")
        if strikes is not None and (isinstance(strikes, bool) or not isinstance(strikes, int) or strikes < 1):
            raise InvalidFilters("strikes", f"must be a whole number of at least 1, got {strikes!r}")
        stmt = chain_statement(self.dialect, option_type=option_type, strikes=strikes)
        values = {
            "symbol": symbol.strip().upper(),
            "expiration": expiration,
            "as_of": _as_of(as_of),
            "option_type": option_type,
            "strikes": strikes,
        }
        return self._frame(self.session.execute(stmt, values).all(), (*SQL_COLUMNS, "quality_flag"))

    def expirations(self, symbol: str, as_of: dt.date | None = None) -> list[dt.date]:
        """The symbol's listed expiry dates after the as-of date, soonest first."""
        expiry = StockPremium.expiration_date
        stmt = (
            select(expiry)
            .distinct()
            .where(StockPremium.symbol == symbol.strip().upper(), expiry > _as_of(as_of))
            .order_by(expiry)
        )
        return list(self.session.execute(stmt).scalars())

    def symbol_history(self, symbol: str, *, days: int = 365, as_of: dt.date | None = None) -> pd.DataFrame:
        """The symbol's daily close, iv30 and ATM 30-day premiums over the `days` before the as-of date."""
        h = SymbolDailyHistory.__table__.c
        end = _as_of(as_of)
        names = (
            "date",
            "close",
            "iv30",
            "atm_put_mid_30d",
            "atm_call_mid_30d",
            "contracts",
            "total_volume",
            "total_open_interest",
        )
        stmt = (
            select(*(h[n] for n in names))
            .where(h.symbol == symbol.strip().upper(), h.date > end - dt.timedelta(days=days), h.date <= end)
            .order_by(h.date)
        )
        frame = pd.DataFrame.from_records(self.session.execute(stmt).all(), columns=list(names))
        for name in ("close", "iv30", "atm_put_mid_30d", "atm_call_mid_30d"):
            frame[name] = frame[name].astype("float64")
        return frame

    # ---- helpers -----------------------------------------------------------------------------------------
    def _watchlist_symbols(self, name: str | None) -> list[str] | None:
        """A watchlist's symbols (core.symbols.watchlist_symbols), or None for no filter."""
        if name is None:
            return None
        try:
            return list(watchlist_symbols(self.session, name))
        except WatchlistError:
            raise UnknownWatchlist(name) from None

    def _frame(self, rows, columns: Sequence[str]) -> pd.DataFrame:
        """Rows as a typed frame in COLUMNS order, with prob_otm computed for them (t = DTE / 365).

        Built column by column from the row tuples: this runs on every click, and pandas' generic record
        constructor costs more here than the database's share of a page.
        """
        values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
        data: dict[str, object] = {}
        for name, column in zip(columns, values, strict=True):
            if name in _FLOAT_COLUMNS:
                data[name] = np.array(column, dtype="float64")  # None -> NaN
            elif name in _INT_COLUMNS:
                data[name] = pd.array(column, dtype="Int64")
            elif name in ("fetched_at", "quote_time"):
                data[name] = pd.DatetimeIndex(column, dtype="datetime64[us, UTC]")
            elif name.endswith("_date"):
                data[name] = np.array(column, dtype=object)  # datetime.date, as the page and JSON want them
            else:
                data[name] = pd.array(column, dtype="str")
        with np.errstate(all="ignore"):
            dte = data["dte"].to_numpy(dtype="float64", na_value=np.nan)
            dividend = np.nan_to_num(data["dividend_yield"], nan=0.0)
            is_call = np.array([t == "call" for t in values[columns.index("option_type")]], dtype=bool)
            data["prob_otm"] = np.asarray(
                metrics.prob_otm(
                    data["underlying_price"],
                    data["strike"],
                    dte / 365.0,
                    data["iv"],
                    self.risk_free_rate,
                    dividend,
                    is_call,
                ),
                dtype="float64",
            ).reshape(-1)
            # one standard deviation of the stock's move to expiry under the row's IV (DESIGN section 4)
            data["expected_move_pct"] = data["iv"] * np.sqrt(np.where(dte > 0, dte, np.nan) / 365.0) * 100.0
            data["expected_move"] = data["underlying_price"] * data["expected_move_pct"] / 100.0
        expiry = values[columns.index("expiration_date")]
        days = data["dte"].to_numpy(dtype="float64", na_value=np.nan)
        # as_of = expiry - DTE, so "as_of <= earnings <= expiry" is "0 <= expiry - earnings <= DTE"
        data["earnings_before_expiry"] = _before_expiry(expiry, values[columns.index("next_earnings_date")], days, True)
        data["ex_dividend_before_expiry"] = _before_expiry(
            expiry, values[columns.index("ex_dividend_date")], days, False
        )
        names = [*COLUMNS, *(n for n in columns if n not in COLUMNS)]
        return pd.DataFrame({name: data[name] for name in names})


def _before_expiry(expiries, dates, dte: np.ndarray, today_counts: bool) -> np.ndarray:
    """Whether each row's date falls between the as-of date and the expiry (inclusive; the as-of day itself
    only when `today_counts`); False where the stock has no such date."""
    out = np.zeros(len(dte), dtype=bool)
    for n, (expiry, day) in enumerate(zip(expiries, dates, strict=True)):
        if day is None or expiry is None or not np.isfinite(dte[n]):
            continue
        left = (expiry - day).days
        out[n] = 0 <= left <= dte[n] if today_counts else 0 <= left < dte[n]
    return out


__all__ = ["COLUMNS", "DatabaseScanner", "InvalidFilters", "Scope", "UnknownWatchlist", "validate"]
