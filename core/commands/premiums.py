"""`python -m core premiums [filters] [--format table|csv|json]`: the Scan Premiums query (DESIGN section 8).

JSON is one document: {"as_of", "strategy", "rank_by", "filters", "count", "rows": [...]}; dates are ISO
strings, times ISO with +00:00, missing numbers null. Bad input is one `error:` line on stderr, exit 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import math
import sys

import pandas as pd
from sqlalchemy import select

from core.commands import CommandError, acting_actor, database_url, emit_json
from core.db.engine import get_engine, unit_of_work
from core.db.migrate import require_current_schema
from core.db.models import Stock
from core.exports import write_rows
from core.premiums.export import export_frame, json_rows, json_value
from core.premiums.filters import PRICE_BASES, RANK_KEYS, PremiumFilters
from core.premiums.freshness import quote_freshness
from core.premiums.screen import DatabaseScanner, InvalidFilters, validate

_DEFAULT = PremiumFilters()

# The table format's columns: (frame column, heading, format); csv and json carry every column.
_TABLE = (
    ("symbol", "symbol", "{}"),
    ("expiration_date", "expiry", "{}"),
    ("dte", "dte", "{}"),
    ("strike", "strike", "{:.2f}"),
    ("bid", "bid", "{:.2f}"),
    ("ask", "ask", "{:.2f}"),
    ("premium", "premium", "{:.0f}"),
    ("extrinsic", "time$", "{:.0f}"),
    ("delta", "delta", "{:.2f}"),
    ("iv", "iv", "{:.1%}"),
    ("flat_annualized_return", "flat%", "{:.1f}"),
    ("monthly_return", "mo%", "{:.2f}"),
    ("annualized_return", "ann%", "{:.1f}"),
    ("breakeven", "breakeven", "{:.2f}"),
    ("cushion_pct", "cush%", "{:.1f}"),
    ("pct_otm", "otm%", "{:.1f}"),
    ("prob_otm", "p(otm)", "{:.0%}"),
    ("expected_move", "move$", "{:.2f}"),
    ("hv20", "hv20", "{:.1%}"),
    ("iv_hv", "iv/hv", "{:.2f}"),
    ("volume", "vol", "{}"),
    ("open_interest", "oi", "{}"),
    ("underlying_price", "price", "{:.2f}"),
    ("sector", "sector", "{}"),
)


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    cmd = commands.add_parser(
        "premiums",
        parents=[common],
        help="the Scan Premiums query: best put or call per symbol",
        description="Best cash-secured put (csp) or covered call (cc) per symbol, ranked in the database. "
        "Ranges are MIN-MAX and inclusive; 'any' lifts the --delta, --price and --iv limits.",
    )
    add_filter_options(cmd)
    cmd.add_argument(
        "--holdings",
        action="store_true",
        help="covered calls only on symbols held in lots of a contract (100 shares); rows gain contracts_covered "
        "and cost_basis (docs/wheel.md)",
    )
    cmd.add_argument(
        "--account",
        metavar="NAME",
        help="with --holdings: this account's holdings (default: every account you see); with puts: size them to "
        "its cash less what its open short puts reserve (rows gain contracts_affordable)",
    )
    cmd.add_argument("--never-below-cost", action="store_true", help="with --holdings: strikes at or above cost")
    cmd.add_argument(
        "--affordable-only", action="store_true", help="with --account and puts: hide what its cash cannot secure"
    )
    cmd.add_argument("--format", choices=("table", "csv", "json"), default="table")
    cmd.set_defaults(handler=_premiums)


def add_filter_options(cmd: argparse.ArgumentParser) -> None:
    """The screen's filter options (shared with `lab create`); `filters_from_args` reads them back."""
    cmd.add_argument("--strategy", choices=("csp", "cc"), help="csp: puts, cc: calls (default csp; cc with --holdings)")
    dte, delta = "{}-{}".format(*_DEFAULT.dte), "{}-{}".format(*_DEFAULT.delta)
    cmd.add_argument("--dte", metavar="MIN-MAX", default=dte, help=f"days to expiry (default {dte})")
    cmd.add_argument("--delta", metavar="MIN-MAX", default=delta, help=f"|delta| (default {delta})")
    cmd.add_argument("--price", metavar="MIN-MAX", help="underlying price in dollars")
    cmd.add_argument("--min-premium", metavar="X", help="dollars per contract (mid x 100)")
    cmd.add_argument("--min-monthly-return", metavar="X", help="percent: premium / capital x 30 / DTE x 100")
    cmd.add_argument("--min-annualized-return", metavar="X", help="percent: premium / capital x 365 / DTE x 100")
    cmd.add_argument("--min-volume", metavar="N", help="contracts traded today")
    cmd.add_argument("--min-open-interest", metavar="N")
    cmd.add_argument("--max-spread-pct", metavar="X", help="(ask - bid) / mid x 100")
    cmd.add_argument("--iv", metavar="MIN-MAX", help="implied volatility in percent points, e.g. 20-60")
    cmd.add_argument("--min-iv-rank", metavar="X", help="IV rank 0-100")
    cmd.add_argument(
        "--min-iv-percentile", metavar="X", help="IV percentile 0-100: share of the past year's days below"
    )
    cmd.add_argument("--hv20", metavar="MIN-MAX", help="20-day historical volatility in percent points")
    cmd.add_argument("--hv60", metavar="MIN-MAX", help="60-day historical volatility in percent points")
    cmd.add_argument("--iv-hv", metavar="MIN-MAX", help="the contract's IV over HV20, a ratio such as 1.1-3")
    cmd.add_argument(
        "--expected-move-pct", metavar="MIN-MAX", help="one-sigma move to expiry, IV x sqrt(DTE/365), in percent"
    )
    cmd.add_argument("--market-cap", metavar="MIN-MAX", help="market capitalisation in billions of dollars")
    cmd.add_argument("--sector", action="append", default=[], metavar="S", help="repeat for several sectors")
    cmd.add_argument("--watchlist", metavar="NAME")
    cmd.add_argument("--exclude-earnings", action="store_true", help="drop contracts spanning an earnings date")
    cmd.add_argument(
        "--exclude-ex-dividend",
        action="store_true",
        help="covered calls: drop expiries on or after the next ex-dividend date (early-assignment risk)",
    )
    cmd.add_argument("--all-contracts", action="store_true", help="every passing contract, not one per symbol")
    cmd.add_argument(
        "--rank-by",
        choices=RANK_KEYS,
        default=_DEFAULT.rank_by,
        help=f"default {_DEFAULT.rank_by}: time value / capital x 365 / DTE, the return if the stock stays put",
    )
    cmd.add_argument(
        "--price-basis",
        choices=PRICE_BASES,
        default=_DEFAULT.price_basis,
        help="price a sale fills at: mid (default) or bid, a conservative fill for premium, returns and ranking",
    )
    cmd.add_argument("--as-of", metavar="YYYY-MM-DD", help="date DTE counts from (default today, New York)")
    cmd.add_argument("--limit", metavar="N", default=str(_DEFAULT.limit), help=f"rows (default {_DEFAULT.limit})")


# ---- parsing: every malformed value is a CommandError (one line, exit 1), never argparse's usage dump ----
def _float(option: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"{option}: expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise CommandError(f"{option}: expected a finite number, got {text!r}")
    return value


def _int(option: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CommandError(f"{option}: expected a whole number, got {text!r}") from None


def parse_range(option: str, text: str | None, *, whole: bool = False, optional: bool = True):
    """'MIN-MAX' -> (min, max); None or 'any' -> None (where allowed). Both ends are required."""
    if text is None or (optional and text.strip().lower() == "any"):
        return None
    example = "7-45" if whole else "0.25-0.40"
    low, sep, high = text.strip().partition("-")
    try:
        if not sep:
            raise ValueError
        bounds = (int(low), int(high)) if whole else (float(low), float(high))
    except ValueError:
        kind = "whole numbers" if whole else "numbers"
        raise CommandError(f"{option}: expected MIN-MAX {kind} such as {example}, got {text!r}") from None
    if not all(math.isfinite(b) for b in bounds):
        raise CommandError(f"{option}: expected finite numbers, got {text!r}")
    if bounds[0] > bounds[1]:
        raise CommandError(f"{option}: MIN {low.strip()} is above MAX {high.strip()} in {text!r}")
    return bounds


def filters_from_args(args: argparse.Namespace) -> PremiumFilters:
    """The PremiumFilters the command line asks for (raises CommandError on malformed values)."""

    def opt(option: str, parse):
        text = getattr(args, option.lstrip("-").replace("-", "_"))
        return None if text is None else parse(option, text)

    as_of = None
    if args.as_of:
        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise CommandError(f"--as-of: expected a date YYYY-MM-DD, got {args.as_of!r}") from None
    return PremiumFilters(
        strategy=args.strategy or "csp",
        dte=parse_range("--dte", args.dte, whole=True, optional=False),
        delta=parse_range("--delta", args.delta),
        price=parse_range("--price", args.price),
        min_premium=opt("--min-premium", _float),
        min_monthly_return=opt("--min-monthly-return", _float),
        min_annualized_return=opt("--min-annualized-return", _float),
        min_volume=opt("--min-volume", _int),
        min_open_interest=opt("--min-open-interest", _int),
        max_spread_pct=opt("--max-spread-pct", _float),
        iv=parse_range("--iv", args.iv),
        min_iv_rank=opt("--min-iv-rank", _float),
        min_iv_percentile=opt("--min-iv-percentile", _float),
        hv20=parse_range("--hv20", args.hv20),
        hv60=parse_range("--hv60", args.hv60),
        iv_hv=parse_range("--iv-hv", args.iv_hv),
        expected_move_pct=parse_range("--expected-move-pct", args.expected_move_pct),
        market_cap=parse_range("--market-cap", args.market_cap),
        sectors=tuple(args.sector),
        watchlist=args.watchlist,
        exclude_earnings=args.exclude_earnings,
        exclude_ex_dividend=args.exclude_ex_dividend,
        all_contracts=args.all_contracts,
        as_of=as_of,
        rank_by=args.rank_by,
        price_basis=args.price_basis,
        limit=_int("--limit", args.limit),
    )


# ---- output ----------------------------------------------------------------------------------------------
def _cell(value, fmt: str) -> str:
    value = json_value(value)
    return "" if value is None else fmt.format(value)


_SCOPE_TABLE = (
    ("contracts_covered", "covers", "{}"),
    ("cost_basis", "cost", "{:.2f}"),
    ("contracts_affordable", "affords", "{}"),
)


def render_table(frame: pd.DataFrame) -> str:
    """Readable aligned text: numbers right-aligned, text left-aligned."""
    table = _TABLE + tuple(column for column in _SCOPE_TABLE if column[0] in frame.columns)
    cells = [[_cell(row[name], fmt) for name, _, fmt in table] for row in frame.to_dict("records")]
    headings = [heading for _, heading, _ in table]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headings)]
    text_cols = {"symbol", "expiration_date", "sector"}
    lines = []
    for row in [headings, *cells]:
        lines.append(
            "  ".join(
                value.ljust(w) if name in text_cols else value.rjust(w)
                for value, w, (name, _, _) in zip(row, widths, table, strict=True)
            ).rstrip()
        )
    return "\n".join(lines)


def known_sectors(session, asked: tuple[str, ...]) -> tuple[str, ...]:
    """The sectors asked for, spelled as stored (any case); an unknown one is an error naming those that exist."""
    if not asked:
        return asked
    stored = [s for s in session.scalars(select(Stock.sector).distinct().order_by(Stock.sector)) if s]
    by_key = {s.casefold(): s for s in stored}
    unknown = [s for s in asked if s.strip().casefold() not in by_key]
    if unknown:
        choices = ", ".join(stored) if stored else "none yet (sync or run the demo first)"
        raise CommandError(f"--sector: no sector named {unknown[0]!r}; the sectors are: {choices}")
    return tuple(by_key[s.strip().casefold()] for s in asked)


def _scope_arguments(args: argparse.Namespace, filters: PremiumFilters) -> PremiumFilters:
    """Check the wheel's options against each other; --holdings screens covered calls."""
    if args.holdings:
        if args.strategy == "csp":
            raise CommandError("--holdings screens covered calls: drop --strategy csp")
        return dataclasses.replace(filters, strategy="cc")
    if args.never_below_cost:
        raise CommandError("--never-below-cost goes with --holdings")
    if args.affordable_only and not args.account:
        raise CommandError("--affordable-only goes with --account (whose cash secures the puts)")
    if args.account and filters.strategy != "csp":
        raise CommandError("--account without --holdings sizes puts to its cash: use --strategy csp or --holdings")
    return filters


def _scoped_frame(args: argparse.Namespace, engine, filters: PremiumFilters) -> pd.DataFrame:
    """The "my holdings" scopes go through the premiums service, under the acting user's role (traders: their own
    accounts)."""
    from core.accounts.errors import AccountError
    from core.premiums import service

    actor = acting_actor(args, engine)
    try:
        if args.holdings:
            return service.covered_calls(
                engine, actor, filters, account=args.account, never_below_cost=args.never_below_cost
            )
        return service.sized_puts(engine, actor, filters, account=args.account, affordable_only=args.affordable_only)
    except AccountError as exc:
        raise CommandError(str(exc)) from None


def _premiums(args: argparse.Namespace) -> int:
    filters = _scope_arguments(args, filters_from_args(args))
    try:
        validate(filters)  # before touching the database: a bad value is the user's, not the database's, problem
        engine = get_engine(database_url(args))
        require_current_schema(engine)
        with unit_of_work(engine) as session:
            filters = dataclasses.replace(filters, sectors=known_sectors(session, filters.sectors))
        if args.holdings or args.account:
            frame = _scoped_frame(args, engine, filters)
        else:
            with unit_of_work(engine) as session:
                frame = DatabaseScanner(session).best_per_symbol(filters)
        with unit_of_work(engine) as session:
            fresh = quote_freshness(session, frame.attrs["as_of"])
    except InvalidFilters as exc:
        raise CommandError(str(exc)) from None
    as_of = frame.attrs["as_of"]
    if fresh.stale and args.format != "json":
        print(
            f"note: quotes are from {fresh.quote_date}, before the as-of date's trading day {fresh.trading_day}; "
            f"set the as-of date to it: --as-of {fresh.quote_date}",
            file=sys.stderr,
        )
    if args.format == "json":
        emit_json(
            {
                "as_of": as_of.isoformat(),
                "strategy": filters.strategy,
                "rank_by": filters.rank_by,
                "price_basis": filters.price_basis,
                "filters": {**filters.to_json(), "as_of": as_of.isoformat()},
                "count": len(frame),
                "quotes": {
                    "newest": json_value(fresh.newest_quote),
                    "date": json_value(fresh.quote_date),
                    "trading_day": fresh.trading_day.isoformat(),
                    "stale": fresh.stale,
                },
                "rows": json_rows(frame),
            }
        )
    elif args.format == "csv":
        exported = export_frame(frame)  # the dashboard's CSV columns, units and rounding
        write_rows(
            sys.stdout,
            list(exported.columns),
            [["" if v is None else v for v in row] for row in exported.itertuples(index=False)],
        )
    else:
        kind = "contracts" if filters.all_contracts else "symbols"
        if frame.empty:
            print(f"no contracts match (as of {as_of}, {filters.strategy}, DTE {filters.dte[0]}-{filters.dte[1]})")
        else:
            print(render_table(frame))
            print(
                f"{len(frame)} {kind}, {filters.strategy}, as of {as_of}, ranked by {filters.rank_by} "
                f"at the {filters.price_basis}"
            )
    return 0
