"""Real-data syncs through the whole yfinance adapter against the local Yahoo-like server (tests/support).

yfinance builds its URLs, fetches its cookie and crumb and parses the JSON exactly as against Yahoo; curl_cffi
opens real connections to 127.0.0.1. Checked here: the expiry window (what is asked for, what is kept), the
request accounting stored per item against what the server counted, the fetchers' shared bucket staying
under the server's cap, and a 429 pausing every fetcher.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.db.engine import unit_of_work
from core.db.models import JobItem, StockData, StockPremium
from core.operations.history import sync_runs
from core.providers.yfinance_provider import TokenBucket, YFinanceProvider
from core.sync.requests import SyncRequest
from core.sync.service import enqueue
from core.sync.worker import SyncWorker
from tests.support.actors import TRADER
from tests.support.cli import run_cli
from tests.support.yahoo_server import Behaviour, YahooServer

RECORDED = {
    "AAPL": "AAPL_2025-02-24T0924Z.json",  # 20 expiries, quote of 2025-02-21
    "AMZN": "AMZN_2022-02-24T1019Z.json",
    "QQQ": "QQQ_2022-02-24T1019Z.json",
    "ADH": "ADH_NO-OPTIONS_2022-02-24T1019Z.json",
}


@pytest.fixture
def yahoo(shared_data):
    with YahooServer(shared_data / "yahoo_v7_raw", recorded=RECORDED) as server:
        yield server


def _provider(server, tmp_path, rate=50.0, **kwargs) -> YFinanceProvider:
    kwargs.setdefault("rate_limiter", TokenBucket(rate))
    return YFinanceProvider(base_url=server.url, cache_dir=tmp_path, max_retries=2, backoff_base=0.05, **kwargs)


def _listed_within(shared_data, symbol: str, days: int) -> list[dt.date]:
    """From the recorded JSON itself: listed expiries within `days` of the quote's day in New York."""
    result = json.loads((shared_data / "yahoo_v7_raw" / RECORDED[symbol]).read_text())["optionChain"]["result"][0]
    quote_day = dt.datetime.fromtimestamp(result["quote"]["regularMarketTime"], ZoneInfo("America/New_York")).date()
    dates = [dt.datetime.fromtimestamp(e, dt.UTC).date() for e in result["expirationDates"]]
    return [d for d in dates if days == 0 or (d - quote_day).days <= days]


def _asked_dates(server) -> list[dt.date]:
    return [
        dt.datetime.fromtimestamp(int(path.split("date=")[1].split("&")[0]), dt.UTC).date()
        for path in server.stats.paths
        if "date=" in path
    ]


@pytest.mark.parametrize("days", [75, 30, 0])
def test_the_window_decides_which_expiries_are_requested(yahoo, shared_data, tmp_path, days):
    expected = _listed_within(shared_data, "AAPL", days)
    assert 0 < len(expected) <= 20
    snap = _provider(yahoo, tmp_path).snapshot("AAPL", max_dte=days)
    assert snap.expirations == expected and snap.max_dte == days
    assert set(snap.chain["expiration"]) == set(expected)
    assert _asked_dates(yahoo) == expected  # nothing beyond the window was asked for
    assert yahoo.stats.options == 1 + len(expected)  # the listing, then one per expiry


def _sync(engine, server, tmp_path, symbols, max_dte, **provider_kwargs) -> int:
    with unit_of_work(engine, write=True) as session:
        run, _ = enqueue(session, TRADER, SyncRequest(symbols=tuple(symbols), provider="yfinance", max_dte=max_dte))
        run_id = run.id
    provider = _provider(server, tmp_path, **provider_kwargs)
    SyncWorker(engine, provider_factory=lambda *a, **k: provider, fetchers=4).run_until_idle(run_id)
    return run_id


def _expiries(engine, symbol) -> dict[dt.date, dt.datetime]:
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(StockPremium.expiration_date, StockPremium.fetched_at).where(StockPremium.symbol == symbol)
        )
        return {day: fetched for day, fetched in rows}


def test_a_windowed_sync_keeps_stored_contracts_beyond_the_window(committed_engine, yahoo, shared_data, tmp_path):
    _sync(committed_engine, yahoo, tmp_path, ["AAPL"], max_dte=0)
    everything = _expiries(committed_engine, "AAPL")
    assert sorted(everything) == _listed_within(shared_data, "AAPL", 0)

    _sync(committed_engine, yahoo, tmp_path, ["AAPL"], max_dte=30)
    after = _expiries(committed_engine, "AAPL")
    inside = set(_listed_within(shared_data, "AAPL", 30))
    assert set(after) == set(everything)  # nothing beyond the window was dropped
    assert {d for d in after if after[d] > everything[d]} == inside  # only the window was refreshed
    with unit_of_work(committed_engine) as session:
        assert session.get(StockData, "AAPL").sync_max_dte == 30
        assert session.get(StockData, "AAPL").expirations == len(inside)


def test_each_item_records_what_the_server_saw(committed_engine, yahoo, tmp_path):
    run_id = _sync(committed_engine, yahoo, tmp_path, ["AAPL", "QQQ", "ADH", "NOPE"], max_dte=75)
    with unit_of_work(committed_engine) as session:
        items = {i.symbol: i for i in session.scalars(select(JobItem).where(JobItem.run_id == run_id))}
        history = sync_runs(session)
    assert {s: i.status for s, i in items.items()} == {
        "AAPL": "synced",
        "QQQ": "synced",
        "ADH": "no_options",
        "NOPE": "failed",
    }
    assert sum(i.requests for i in items.values()) == yahoo.stats.requests  # cookie and crumb ones included
    assert sum(i.bytes_received for i in items.values()) == yahoo.stats.bytes
    assert all(i.rate_limited == 0 and i.retries == 0 for i in items.values())
    assert all(i.network_seconds > 0 and i.wait_seconds >= 0 for i in items.values())
    assert items["ADH"].requests >= 1  # a symbol without options still cost its listing
    row = history[history["id"] == run_id].iloc[0]
    assert row["requests"] == yahoo.stats.requests and row["max_dte"] == 75 and row["rate_limited"] == 0


# The two timing-driven tests run on SQLite only: the database is not what they are about.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_fetchers_share_one_bucket_and_never_trip_the_cap_they_are_configured_under(
    committed_engine, shared_data, tmp_path
):
    # Per-thread buckets would send 4 x 10 requests a second into a cap of 10 and collect 429s.
    behaviour = Behaviour(latency=0.08, jitter=0.04, rate_cap=10.0, seed=3)
    with YahooServer(shared_data / "yahoo_v7_raw", recorded=RECORDED, behaviour=behaviour) as server:
        _sync(committed_engine, server, tmp_path, ["AAPL", "AMZN", "QQQ"], max_dte=75, rate=10.0)
    assert server.stats.rate_limited == 0
    assert server.stats.max_in_flight > 1  # several symbols were fetched at once
    assert server.stats.options > 20


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_429_pauses_every_fetcher(committed_engine, shared_data, tmp_path):
    behaviour = Behaviour(rate_cap=5.0, seed=5)  # the client asks for 20 a second: it will be told 429
    limiter = TokenBucket(20.0)
    with YahooServer(shared_data / "yahoo_v7_raw", recorded=RECORDED, behaviour=behaviour) as server:
        run_id = _sync(
            committed_engine,
            server,
            tmp_path,
            ["AAPL", "AMZN", "QQQ"],
            max_dte=30,
            rate_limiter=limiter,
            pause_on_429=1.0,
        )
    assert server.stats.rate_limited > 0 and limiter.pauses > 0
    first = server.stats.refusals[0]
    # Requests already on the wire when the 429 went out may land just after it; then nobody asks for a second.
    during = [t for t in server.stats.arrivals if first + 0.25 < t < first + 0.9]
    assert during == []
    with unit_of_work(committed_engine) as session:
        items = list(session.scalars(select(JobItem).where(JobItem.run_id == run_id)))
    assert sum(i.rate_limited for i in items) == server.stats.rate_limited
    assert {i.status for i in items} == {"synced"}  # the pauses and retries got every symbol through


def test_sync_inline_prints_the_requests(committed_engine, db_url, yahoo, tmp_path):
    env = {"YF_BASE_URL": yahoo.url, "YF_REQUESTS_PER_SECOND": "50"}
    result = run_cli(
        "sync",
        "--symbols",
        "AAPL",
        "--provider",
        "yfinance",
        "--max-dte",
        "30",
        "--inline",
        "--database-url",
        db_url,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "requests" in line)
    assert f"{yahoo.stats.requests} requests" in line and "0 rate limited (429)" in line
    doc = json.loads(
        run_cli(
            "sync",
            "--symbols",
            "QQQ",
            "--provider",
            "yfinance",
            "--inline",
            "--format",
            "json",
            "--database-url",
            db_url,
            env=env,
        ).stdout
    )
    assert doc["max_dte"] == 75  # SYNC_MAX_DTE's default
    assert doc["requests"]["requests"] > 1 and doc["requests"]["bytes"] > 0


def test_server_errors_and_empty_expiries_are_retried_and_counted(committed_engine, shared_data, tmp_path):
    behaviour = Behaviour(error_rate=0.15, empty_rate=0.15, seed=21)
    with YahooServer(shared_data / "yahoo_v7_raw", recorded=RECORDED, behaviour=behaviour) as server:
        run_id = _sync(committed_engine, server, tmp_path, ["AAPL", "AMZN"], max_dte=0)
    assert server.stats.errors > 0 and server.stats.empties > 0
    with unit_of_work(committed_engine) as session:
        items = list(session.scalars(select(JobItem).where(JobItem.run_id == run_id)))
    assert {i.status for i in items} == {"synced"}  # a 503 or an empty expiry now and then fails nothing
    # yfinance re-asks once itself after a 503; a second 503, or an empty expiry, is our retry
    assert 0 < sum(i.retries for i in items) <= server.stats.errors + 2 * server.stats.empties
    assert sum(i.requests for i in items) == server.stats.requests
