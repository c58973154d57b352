"""The SQL of the Scan Premiums screen: the DESIGN section-4 numbers as expressions, one statement per shape.

A statement depends only on the *shape* of the filters (strategy, rank key, mode, which filters are set), so it is
built once per shape (`lru_cache`) and executed with the values as bound parameters; user text never reaches the
SQL. Column and rank-key names come from the allow-lists here. `core.premiums.screen` runs these statements.

The query has two stages so that the database sorts narrow rows, not whole contracts:
1. rank: the rankable contracts of the strategy that pass the filters, reduced to one per symbol
   (`DISTINCT ON (symbol)` on PostgreSQL, `ROW_NUMBER() OVER (PARTITION BY symbol ...) = 1` on SQLite),
   ordered by the rank key and cut to the limit -- only ids, keys and the rank value travel through the sorts;
2. page: those ids joined back to their contracts, stocks and stock_data for the output columns.
Ties break the same way on both backends: rank value desc, then expiration_date asc (the nearer expiry), then
strike asc (for a put the safer strike, for a call the one nearer the money), and across symbols by symbol asc
(bytewise, whatever the server's locale) -- so the answer is deterministic.

The DTE range is bound as an expiration-date range (as_of + min .. as_of + max), which `idx_sp_rank` serves;
DTE itself and every number that depends on it are computed per row in SQL against the bound as-of date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from core.db.models import Holding, Stock, StockData, StockPremium
from core.premiums.filters import RANGE_FILTERS, RANK_KEYS, PremiumFilters

# What a screen returns, in this order (prob_otm is added by the scanner; a chain adds quality_flag).
COLUMNS: tuple[str, ...] = (
    "symbol",
    "name",
    "sector",
    "option_type",
    "contract_symbol",
    "expiration_date",
    "dte",
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
    "volume",
    "open_interest",
    "monthly_return",
    "annualized_return",
    "flat_return",
    "flat_annualized_return",
    "breakeven",
    "cushion_pct",
    "pct_otm",
    "if_called_return",
    "prob_otm",
    "spread_pct",
    "underlying_price",
    "iv_rank",
    "iv_percentile",
    "hv20",
    "hv60",
    "iv_hv",
    "expected_move",
    "expected_move_pct",
    "next_earnings_date",
    "earnings_before_expiry",
    "ex_dividend_date",
    "ex_dividend_before_expiry",
    "dividend_yield",
    "market_cap",
    "quote_time",
    "fetched_at",
)
# computed in Python for the returned rows (core.premiums.screen), not in SQL
PYTHON_COLUMNS = (
    "prob_otm",
    "expected_move",
    "expected_move_pct",
    "earnings_before_expiry",
    "ex_dividend_before_expiry",
)
SQL_COLUMNS = tuple(c for c in COLUMNS if c not in PYTHON_COLUMNS)
# What a scope adds after COLUMNS: holdings' covered contracts and cost basis, the contracts cash secures.
HOLDINGS_COLUMNS = ("contracts_covered", "cost_basis")
CASH_COLUMNS = ("contracts_affordable",)

_SP, _ST, _SD, _HO = StockPremium.__table__, Stock.__table__, StockData.__table__, Holding.__table__
_DIV_PRECEDENCE = operators._PRECEDENCE[operators.truediv]  # so "a - b" on either side gets parentheses


def _const(text: str) -> ColumnElement[float]:
    """A numeric constant of this module (never user text), typed so SQLAlchemy emits a plain float '/'."""
    return literal_column(text, Float)


class Metrics:
    """The DESIGN section-4 numbers of one contracts table (or alias) as SQL, against one as-of date.

    `is_call` fixes the strategy (True / False), or None for a per-row CASE on option_type (chains).
    Divisors go through NULLIF/CASE so that no row can raise division by zero, whatever order the database
    evaluates its conditions in; such rows are never ranked anyway.
    """

    def __init__(self, table, dialect: str, as_of: BindParameter, is_call: bool | None, basis: str = "mid"):
        c, hundred, zero = table.c, _const("100"), _const("0")
        # the row's contract size (100 for US equity options, the lot size where a market has one): every money
        # figure is per contract of this size; percentages below still multiply by the constant 100
        size = cast(c.contract_size, Float)
        if dialect == "postgresql":
            self.dte = c.expiration_date - cast(as_of, Date)  # date - date is integer days
        else:
            self.dte = cast(func.julianday(c.expiration_date) - func.julianday(as_of), Integer)
        days = case((self.dte > 0, cast(self.dte, Float)))  # NULL when no day is left: no return
        self.days = days
        # the price basis: what a sale fills at (the mid, or the bid for a conservative fill); never user text
        price = c.bid if basis == "bid" else c.mid
        self.premium = price * size

        def nonzero(x) -> ColumnElement[float]:
            return func.nullif(x, 0, type_=Float)

        def div(a, b) -> ColumnElement[float]:  # plain '/': both sides are already double precision
            return a.op("/", precedence=_DIV_PRECEDENCE, return_type=Float)(b)

        def positive(x) -> ColumnElement[float]:  # max(x, 0) on both backends; NULL stays NULL (no mid: no value)
            return case((x > 0, x), (x <= 0, zero))

        def pick(call, put):
            if is_call is None:
                return case((c.option_type == "call", call), else_=put)
            return call if is_call else put

        spot, strike = c.underlying_price, c.strike_price
        self.capital = pick(spot, strike) * size
        per_day = div(self.premium, nonzero(self.capital))
        self.monthly_return = per_day * div(_const("30"), days) * hundred
        self.annualized_return = per_day * div(_const("365"), days) * hundred
        self.intrinsic = positive(pick(spot - strike, strike - spot)) * size
        self.extrinsic = positive(self.premium - self.intrinsic)
        self.flat_return = div(self.extrinsic, nonzero(self.capital)) * hundred
        self.flat_annualized_return = self.flat_return * div(_const("365"), days)
        self.breakeven = pick(spot - price, strike - price)
        self.cushion_pct = div(spot - self.breakeven, nonzero(spot)) * hundred
        self.pct_otm = div(pick(strike - spot, spot - strike), nonzero(spot)) * hundred
        if_called = div(self.premium + (strike - spot) * size, nonzero(self.capital)) * hundred
        self.if_called_return = pick(if_called, cast(null(), Float))  # puts have none
        self.spread_pct = div(c.ask - c.bid, nonzero(c.mid)) * hundred
        self.abs_delta = func.abs(c.delta)
        self.iv_pct = c.implied_volatility * hundred
        # the expected move to expiry in % of spot is IV x sqrt(DTE / 365) x 100; its square needs no SQL sqrt
        # (SQLite builds may lack it), so the filter compares squares (bound_values squares the bounds)
        self.expected_move_pct_squared = self.iv_pct * self.iv_pct * div(days, _const("365"))

    def rank_key(self, name: str) -> ColumnElement[float]:
        """The SQL expression of an allow-listed rank key (RANK_KEYS); anything else is refused."""
        if name not in RANK_KEYS:
            raise ValueError(f"rank_by must be one of {', '.join(RANK_KEYS)}, got {name!r}")
        return getattr(self, name)


def iv_over_hv(iv) -> ColumnElement[float]:
    """The contract's IV over the stock's HV20 (stock_data): above 1, options price more movement than the stock
    has shown over the past 20 sessions. NULL without an HV20."""
    return iv.op("/", precedence=_DIV_PRECEDENCE, return_type=Float)(func.nullif(_SD.c.hv20, 0, type_=Float))


def output_columns(sp, m: Metrics) -> list[ColumnElement]:
    c = sp.c
    return [
        c.symbol,
        _ST.c.name,
        _ST.c.sector,
        c.option_type,
        c.contract_symbol,
        c.expiration_date,
        m.dte.label("dte"),
        c.strike_price.label("strike"),
        c.bid,
        c.ask,
        c.mid,
        m.premium.label("premium"),
        m.intrinsic.label("intrinsic"),
        m.extrinsic.label("extrinsic"),
        m.capital.label("capital"),
        c.delta,
        c.implied_volatility.label("iv"),
        c.vendor_iv,
        c.volume,
        c.open_interest,
        m.monthly_return.label("monthly_return"),
        m.annualized_return.label("annualized_return"),
        m.flat_return.label("flat_return"),
        m.flat_annualized_return.label("flat_annualized_return"),
        m.breakeven.label("breakeven"),
        m.cushion_pct.label("cushion_pct"),
        m.pct_otm.label("pct_otm"),
        m.if_called_return.label("if_called_return"),
        m.spread_pct.label("spread_pct"),
        c.underlying_price,
        _SD.c.iv_rank,
        _SD.c.iv_percentile,
        _SD.c.hv20,
        _SD.c.hv60,
        iv_over_hv(c.implied_volatility).label("iv_hv"),
        _ST.c.next_earnings_date,
        _ST.c.ex_dividend_date,
        _ST.c.dividend_yield,
        _ST.c.market_cap,
        c.quote_time,
        c.fetched_at,
    ]


# ---- the statements, one per shape of filters -------------------------------------------------------------
_OPTIONAL = (
    "delta",
    "price",
    "iv",
    "min_premium",
    "min_monthly_return",
    "min_annualized_return",
    "min_volume",
    "min_open_interest",
    "max_spread_pct",
    "min_iv_rank",
    "min_iv_percentile",
    *RANGE_FILTERS,
    "sectors",
)
_STOCK_DATA_FILTERS = frozenset({"min_iv_rank", "min_iv_percentile", "hv20", "hv60", "iv_hv"})


@dataclass(frozen=True)
class Scope:
    """Whose screen this is: what a trader's accounts add to the filters (the wheel, docs/wheel.md).

    - `account_ids` with `holdings`: covered calls only on symbols those accounts hold in lots of at least one
      contract (of the row's contract size: 100 shares for US equity options, the lot size where a market has
      one); each row gains `contracts_covered` (shares // contract size) and `cost_basis` (the shares' average
      price, weighted over the accounts); `never_below_cost` keeps strikes at or above the cost basis where it is known.
    - `cash`: the cash that secures puts (available cash less what open short puts reserve); each row gains
      `contracts_affordable` (cash // (strike x contract size)), and `affordable_only` hides rows that secure none.
    - `symbols` and `strike`: one underlying and a strike range (a position's roll candidates).
    """

    account_ids: tuple[int, ...] = ()
    holdings: bool = False
    never_below_cost: bool = False
    cash: float | None = None
    affordable_only: bool = False
    symbols: tuple[str, ...] | None = None
    strike: tuple[float | None, float | None] = (None, None)


@dataclass(frozen=True)
class Shape:
    """What decides the SQL text: the strategy, the rank key, the mode and which filters are set."""

    strategy: str
    rank_by: str
    price_basis: str
    all_contracts: bool
    exclude_earnings: bool
    exclude_ex_dividend: bool
    watchlist: bool
    present: frozenset[str]
    holdings: bool = False
    never_below_cost: bool = False
    cash: bool = False
    affordable_only: bool = False
    strike_low: bool = False
    strike_high: bool = False

    @classmethod
    def of(cls, f: PremiumFilters, watchlist: bool, scope: Scope | None = None) -> Shape:
        # an empty sector list (a page's multiselect with nothing picked) means no sector filter
        present = frozenset(n for n in _OPTIONAL if getattr(f, n) is not None and (n != "sectors" or len(f.sectors)))
        scope = scope or Scope()
        return cls(
            f.strategy,
            f.rank_by,
            f.price_basis,
            bool(f.all_contracts),
            bool(f.exclude_earnings),
            bool(f.exclude_ex_dividend) and f.strategy == "cc",  # early assignment for a dividend: calls only
            watchlist,
            present,
            holdings=scope.holdings,
            never_below_cost=scope.holdings and scope.never_below_cost,
            cash=scope.cash is not None,
            affordable_only=scope.cash is not None and scope.affordable_only,
            strike_low=scope.strike[0] is not None,
            strike_high=scope.strike[1] is not None,
        )

    def extra_columns(self) -> tuple[str, ...]:
        """The scope's columns after SQL_COLUMNS, in this order."""
        return (HOLDINGS_COLUMNS if self.holdings else ()) + (CASH_COLUMNS if self.cash else ())


def bound_values(
    f: PremiumFilters, as_of: dt.date, symbols: list[str] | None, scope: Scope | None = None
) -> dict[str, Any]:
    """The bound values of a screen; the DTE range becomes an expiry-date range (DTE <= 0 never ranks)."""
    scope = scope or Scope()
    values: dict[str, Any] = {
        "as_of": as_of,
        "option_type": "call" if f.strategy == "cc" else "put",
        "row_limit": int(f.limit),
        "first_expiry": as_of + dt.timedelta(days=max(int(f.dte[0]), 1)),
        "last_expiry": as_of + dt.timedelta(days=int(f.dte[1])),
    }
    for name in ("delta", "price", "iv", "hv20", "hv60", "iv_hv"):
        if getattr(f, name) is not None:
            values[f"{name}_low"], values[f"{name}_high"] = (float(v) for v in getattr(f, name))
    if f.expected_move_pct is not None:  # compared as squares (Metrics.expected_move_pct_squared)
        values["expected_move_pct_low"], values["expected_move_pct_high"] = (float(v) ** 2 for v in f.expected_move_pct)
    if f.market_cap is not None:  # billions of dollars -> dollars
        values["market_cap_low"], values["market_cap_high"] = (float(v) * 1e9 for v in f.market_cap)
    for name in (
        "min_premium",
        "min_monthly_return",
        "min_annualized_return",
        "min_volume",
        "min_open_interest",
        "max_spread_pct",
        "min_iv_rank",
        "min_iv_percentile",
    ):
        if getattr(f, name) is not None:
            values[name] = float(getattr(f, name))
    if f.sectors:
        values["sectors"] = list(f.sectors)
    if symbols is not None:
        values["symbols"] = symbols
    if scope.holdings:
        values["account_ids"] = list(scope.account_ids)
    if scope.cash is not None:
        values["cash"] = float(scope.cash)
    for name, bound in zip(("strike_low", "strike_high"), scope.strike, strict=True):
        if bound is not None:
            values[name] = float(bound)
    return values


def held_shares(name: str):
    """The holdings of the bound `account_ids` per symbol: symbol, shares and cost_basis (average price weighted by
    shares, over the rows that report one; NULL when none does). Whether they make a lot, and how many contracts
    they cover, depends on the contract's size, so the screen compares them with each row's `contract_size`."""
    h = _HO.c
    shares = func.sum(h.quantity)
    priced = func.sum(case((h.average_price.is_not(None), h.quantity), else_=0))
    cost = func.sum(h.quantity * h.average_price)  # SUM skips the NULL products
    return (
        select(
            func.upper(h.symbol).label("symbol"),
            shares.label("shares"),
            (cast(cost, Float) / func.nullif(cast(priced, Float), 0)).label("cost_basis"),
        )
        .where(h.account_id.in_(bindparam("account_ids", expanding=True)), h.quantity > 0)
        .group_by(func.upper(h.symbol))
        .subquery(name)
    )


def _value(name: str, type_=Float) -> BindParameter:
    return bindparam(name, type_=type_)


def _candidates(shape: Shape, dialect: str):
    """The rank stage's alias, metrics, FROM and WHERE: rankable rows of the strategy, then each set filter."""
    cand = _SP.alias("candidate")
    m = Metrics(cand, dialect, _value("as_of", Date), shape.strategy == "cc", shape.price_basis)
    c, has = cand.c, shape.present.__contains__
    source = cand
    if has("sectors") or has("market_cap") or shape.exclude_earnings or shape.exclude_ex_dividend:
        source = source.join(_ST, _ST.c.symbol == c.symbol)
    if shape.present & _STOCK_DATA_FILTERS:
        source = source.join(_SD, _SD.c.symbol == c.symbol)
    if shape.holdings:
        held = held_shares("held_rank")
        # lots of at least one contract of this row's size (100 shares of a US stock, a lot of 50 on NSE)
        source = source.join(held, and_(held.c.symbol == c.symbol, held.c.shares >= c.contract_size))
    where = [
        c.option_type == _value("option_type", String),
        c.quality_flag.is_(None),
        c.expiration_date >= _value("first_expiry", Date),
        c.expiration_date <= _value("last_expiry", Date),
        c.mid > 0,
        c.strike_price > 0,
        c.underlying_price > 0,
    ]
    hundred = _const("100")
    for name, expr in (
        ("delta", m.abs_delta),
        ("price", c.underlying_price),
        ("iv", m.iv_pct),
        ("hv20", _SD.c.hv20 * hundred),
        ("hv60", _SD.c.hv60 * hundred),
        ("iv_hv", iv_over_hv(c.implied_volatility)),
        ("expected_move_pct", m.expected_move_pct_squared),
        ("market_cap", _ST.c.market_cap),
    ):
        if has(name):
            where.append(expr.between(_value(f"{name}_low"), _value(f"{name}_high")))
    for name, expr in (
        ("min_premium", m.premium),
        ("min_monthly_return", m.monthly_return),
        ("min_annualized_return", m.annualized_return),
        ("min_volume", c.volume),
        ("min_open_interest", c.open_interest),
        ("min_iv_rank", _SD.c.iv_rank),
        ("min_iv_percentile", _SD.c.iv_percentile),
    ):
        if has(name):
            where.append(expr >= _value(name))
    if has("max_spread_pct"):
        where.append(m.spread_pct <= _value("max_spread_pct"))
    if has("sectors"):
        where.append(_ST.c.sector.in_(bindparam("sectors", expanding=True)))
    if shape.watchlist:
        where.append(c.symbol.in_(bindparam("symbols", expanding=True)))
    if shape.exclude_earnings:
        earnings = _ST.c.next_earnings_date
        where.append(or_(earnings.is_(None), earnings < _value("as_of", Date), earnings > c.expiration_date))
    if shape.never_below_cost:  # where the cost basis is known; an unknown one cannot be kept above
        where.append(or_(held.c.cost_basis.is_(None), c.strike_price >= held.c.cost_basis))
    if shape.affordable_only:
        where.append(m.capital <= _value("cash"))
    if shape.strike_low:
        where.append(c.strike_price >= _value("strike_low"))
    if shape.strike_high:
        where.append(c.strike_price <= _value("strike_high"))
    if shape.exclude_ex_dividend:  # an ex-date after today and on or before expiry: the call may be exercised early
        ex_date = _ST.c.ex_dividend_date
        where.append(or_(ex_date.is_(None), ex_date <= _value("as_of", Date), ex_date > c.expiration_date))
    return cand, m, source, and_(*where)


@lru_cache(maxsize=512)
def screen_statement(dialect: str, shape: Shape) -> Select:
    """rank stage (one row per symbol unless all_contracts, cut to the page) -> contracts, stocks, stock_data."""
    cand, m, source, where = _candidates(shape, dialect)
    rank = m.rank_key(shape.rank_by)
    keys = [cand.c.id, cand.c.symbol, cand.c.expiration_date, cand.c.strike_price, rank.label("rank_value")]
    within = (rank.desc(), cand.c.expiration_date, cand.c.strike_price)
    ranked = select(*keys).select_from(source).where(where)
    if shape.all_contracts:
        best = ranked.subquery("best")
    elif dialect == "postgresql":
        best = ranked.ext(distinct_on(cand.c.symbol)).order_by(cand.c.symbol, *within).subquery("best")
    else:
        row_number = func.row_number().over(partition_by=cand.c.symbol, order_by=within).label("rn")
        best = ranked.add_columns(row_number).subquery("ranked")
    page = select(best.c.id, best.c.rank_value, best.c.symbol, best.c.expiration_date, best.c.strike_price)
    if "rn" in best.c:
        page = page.where(best.c.rn == 1)
    page = (
        page.order_by(
            best.c.rank_value.desc(), bytewise(best.c.symbol, dialect), best.c.expiration_date, best.c.strike_price
        )
        .limit(_value("row_limit", Integer))
        .subquery("page")
    )
    out = Metrics(_SP, dialect, _value("as_of", Date), shape.strategy == "cc", shape.price_basis)
    columns = output_columns(_SP, out)
    joined = (
        page.join(_SP, _SP.c.id == page.c.id)
        .join(_ST, _ST.c.symbol == _SP.c.symbol)
        .outerjoin(_SD, _SD.c.symbol == _SP.c.symbol)
    )
    if shape.holdings:
        held = held_shares("held")
        joined = joined.join(held, held.c.symbol == _SP.c.symbol)
        covered = cast(held.c.shares, Integer) // _SP.c.contract_size  # integer division on both backends
        columns += [covered.label("contracts_covered"), held.c.cost_basis]
    if shape.cash:  # cash // capital: SQLite's CAST truncates (the floor of a positive number), PostgreSQL's rounds
        ratio = _value("cash") / func.nullif(out.capital, 0)
        whole = func.floor(ratio) if dialect == "postgresql" else ratio
        columns.append(cast(whole, Integer).label("contracts_affordable"))
    return (
        select(*columns)
        .select_from(joined)
        .order_by(
            page.c.rank_value.desc(), bytewise(page.c.symbol, dialect), page.c.expiration_date, page.c.strike_price
        )
    )


@lru_cache(maxsize=512)
def chain_statement(dialect: str, *, option_type: str | None, strikes: int | None) -> Select:
    """One symbol's contracts of one expiry (bound: symbol, expiration, as_of[, option_type][, strikes]), flagged
    rows included, limited to the `strikes` strikes nearest the underlying per option type; by type and strike."""
    m = Metrics(_SP, dialect, bindparam("as_of", type_=Date), None)
    cols = [*output_columns(_SP, m), _SP.c.quality_flag]
    where = [
        _SP.c.symbol == bindparam("symbol", type_=String),
        _SP.c.expiration_date == bindparam("expiration", type_=Date),
    ]
    if option_type:
        where.append(_SP.c.option_type == bindparam("option_type", type_=String))
    source = _SP.join(_ST, _ST.c.symbol == _SP.c.symbol).outerjoin(_SD, _SD.c.symbol == _SP.c.symbol)
    if strikes is None:
        return select(*cols).select_from(source).where(*where).order_by(_SP.c.option_type, _SP.c.strike_price)
    nearness = func.abs(_SP.c.strike_price - _SP.c.underlying_price)
    cols.append(
        func.row_number()
        .over(partition_by=_SP.c.option_type, order_by=(nearness, _SP.c.strike_price))
        .label("nearness")
    )
    chain = select(*cols).select_from(source).where(*where).subquery("chain")
    return (
        select(*(chain.c[name] for name in (*SQL_COLUMNS, "quality_flag")))
        .where(chain.c.nearness <= bindparam("strikes", type_=Integer))
        .order_by(chain.c.option_type, chain.c.strike)
    )


def bytewise(column, dialect: str):
    """Symbol order independent of the server's locale (SQLite's default BINARY is already bytewise)."""
    return column.collate("C") if dialect == "postgresql" else column
