"""Account sync benchmark: N broker accounts, each on its own local OpenAlgo server, synced in one call.

    python bench/accounts_sync.py [--accounts 1 8 32] [--positions 50] [--backend sqlite|postgresql]

Each server holds --positions positions (and the default funds, holdings, orders, trades). Reported per account
count: the wall time of `sync_accounts` over all of them (fetch concurrently, store one by one) and of a second,
unchanged sync (the steady state), with the per-account mean. The servers run in this process, so the figures
include their side of each request.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from common import header, scratch_database

from core.accounts import service
from core.accounts.sync import sync_accounts
from core.auth import LOCAL_OPERATOR
from core.config import get_settings
from core.db.engine import get_engine, unit_of_work
from core.db.models import User
from tests.servers.openalgo import OpenAlgoServer  # the local OpenAlgo the tests use


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--positions", type=int, default=50)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    header(f"account sync: {args.positions} positions per account, {args.backend}")
    with tempfile.TemporaryDirectory() as keys:
        os.environ["WHEELHOUSE_SECRET_KEY_FILE"] = f"{keys}/secret.key"
        get_settings.cache_clear()
        for count in args.accounts:
            with scratch_database(args.backend) as url:
                print(run(url, count, args.positions))


def run(url: str, count: int, positions: int) -> str:
    engine = get_engine(url)
    with unit_of_work(engine, write=True) as session:
        session.add(User(username="bench", email="bench@example.com", password_hash="x"))
    servers = [OpenAlgoServer().start() for _ in range(count)]
    try:
        for i, server in enumerate(servers):
            server.book.positions = [
                {"symbol": f"SYM{n}", "exchange": "NSE", "product": "CNC", "quantity": str(n + 1),
                 "average_price": "100.25", "ltp": "101.5", "pnl": "12.5"}
                for n in range(positions)
            ]  # fmt: skip
            service.add_account(engine, LOCAL_OPERATOR, name=f"acct-{i:03d}", broker="zerodha", owner="bench",
                                host=server.url, api_key=server.api_key)  # fmt: skip
        figures = []
        for _ in range(2):
            start = time.perf_counter()
            report = sync_accounts(engine, timeout=60)
            figures.append(time.perf_counter() - start)
            assert report.failed == 0, [r.error for r in report.results if not r.ok]
    finally:
        for server in servers:
            server.stop()
    first, steady = figures
    per_account = steady / count
    return f"{count:>4} accounts: first sync {first:6.2f} s, re-sync {steady:6.2f} s ({per_account:.3f} s/account)"


if __name__ == "__main__":
    main()
