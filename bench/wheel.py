"""The wheel's screens against the plain screen (the floor), and the cycle derivation.

    python bench/wheel.py [--backend sqlite|postgresql|both] [--symbols 500] [--held 50] [--runs 15]

For each backend: N synthetic symbols synced the sidecar's way (bench/query.py's `build`), one account holding
`--held` of them (100-900 shares each, a cost basis) with 50,000 of cash, then `--runs` warm runs, interleaved,
of the default covered-call screen (the floor: `DatabaseScanner.best_per_symbol`, no scope), the same screen
scoped to the holdings (`core.wheel.service.covered_calls`, never below cost), the default put screen and the
same sized to the cash (`sized_puts`, affordable only). Prints medians and the ratio to the floor. Then the pure
cycle derivation over 10,000 scripted fills (2,500 wheel cycles).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
from common import header, median, scratch_database
from query import build, maintain
from sqlalchemy import select

from core.auth import LOCAL_OPERATOR
from core.db.engine import create_db_engine, unit_of_work
from core.db.models import AccountFunds, Holding, Stock, TradingAccount, User
from core.premiums.filters import PremiumFilters
from core.premiums.screen import DatabaseScanner
from core.wheel import service
from core.wheel.cycles import Fill, derive_cycles


def seed_account(engine, held: int) -> None:
    rng = np.random.default_rng(3)
    with unit_of_work(engine, write=True) as session:
        prices = dict(session.execute(select(Stock.symbol, Stock.current_price).order_by(Stock.symbol)).all())
        symbols = list(prices)[:held]
        user = User(username="bench", password_hash="-", role="trader")
        session.add(user)
        session.flush()
        account = TradingAccount(user_id=user.id, account_name="bench-main", broker="csv")
        session.add(account)
        session.flush()
        for symbol in symbols:
            cost = float(prices.get(symbol) or 100) * float(rng.uniform(0.9, 1.1))
            shares = int(rng.integers(1, 10)) * 100
            session.add(Holding(account_id=account.id, symbol=symbol, exchange="NASDAQ", source="import",
                                quantity=shares, average_price=cost))  # fmt: skip
        session.add(AccountFunds(account_id=account.id, available_cash=50_000.0))


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def measure(engine, as_of: dt.date, runs: int) -> dict[str, list[float]]:
    calls_f = PremiumFilters(strategy="cc", as_of=as_of)
    puts_f = PremiumFilters(strategy="csp", as_of=as_of)

    def plain(filters):
        with unit_of_work(engine) as session:
            return DatabaseScanner(session).best_per_symbol(filters)

    cases = {
        "calls: screen (floor)": lambda: plain(calls_f),
        "calls: holdings, never below cost": lambda: service.covered_calls(
            engine, LOCAL_OPERATOR, calls_f, never_below_cost=True
        ),
        "puts: screen (floor)": lambda: plain(puts_f),
        "puts: sized to cash, affordable": lambda: service.sized_puts(engine, LOCAL_OPERATOR, puts_f),
    }
    for call in cases.values():
        call()  # warm: statement caches, the database's pages
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, call in cases.items():
            times[name].append(timed(call))
    return times


def scripted_fills(cycles: int) -> list[Fill]:
    fills, day = [], dt.date(2020, 1, 6)
    for n in range(cycles):
        root = f"S{n % 200:03d}"
        start = day + dt.timedelta(days=7 * (n // 200))
        expiry = start + dt.timedelta(days=11)
        put = f"{root}{expiry:%d%b%y}100PE".upper()
        call = f"{root}{expiry + dt.timedelta(days=14):%d%b%y}105CE".upper()
        for offset, action, symbol, price in ((0, "SELL", put, 2.0), (11, "BUY", root, 100.0),
                                              (12, "SELL", call, 1.5), (25, "SELL", root, 105.0)):  # fmt: skip
            when = dt.datetime.combine(start + dt.timedelta(days=offset), dt.time(15), dt.UTC)
            fills.append(Fill("bench", symbol, action, 100, price, when, when.date()))
    return fills


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--held", type=int, default=50)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    header("the wheel's screens vs the plain screen; cycle derivation")
    as_of = dt.date(2026, 12, 2)
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        with scratch_database(backend) as url:
            engine = create_db_engine(url)
            contracts = build(engine, args.symbols, as_of)
            seed_account(engine, args.held)
            maintain(engine)  # what autovacuum would have done by the time a trader looks
            print(f"{backend:<10} {contracts:,} contracts, {args.symbols} symbols, {args.held} held, {args.runs} runs")
            times = measure(engine, as_of, args.runs)
            for name, values in times.items():
                floor = times["calls: screen (floor)" if name.startswith("calls") else "puts: screen (floor)"]
                ratio = median(values) / median(floor)
                print(f"{backend:<10} {name:<36} median {median(values):7.1f} ms   x{ratio:.2f}")
            engine.dispose()
    fills = scripted_fills(2_500)
    runs = [timed(lambda: derive_cycles(fills, dt.date(2026, 12, 2))) for _ in range(5)]
    print(f"derive_cycles over {len(fills):,} fills (2,500 cycles): median {median(runs):.0f} ms")


if __name__ == "__main__":
    main()
