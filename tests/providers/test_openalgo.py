"""The openalgo provider through the official `openalgo` client against the local OpenAlgo-compatible server.

No database here (tests/providers/test_openalgo_sync.py syncs into both backends): quotes, expiries, chains with
lot sizes, daily history, the exchanges each request names, and every failure a real OpenAlgo answers with.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from core.providers.base import CHAIN_COLUMNS, NoOptions, ProviderError, SymbolNotFound
from core.providers.openalgo_provider import OpenAlgoProvider, exchanges_of
from core.providers.ratelimit import TokenBucket
from tests.servers.openalgo import OpenAlgoServer


@pytest.fixture
def server():
    server = OpenAlgoServer().start()
    yield server
    server.stop()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def provider(server, sleeps) -> OpenAlgoProvider:
    return OpenAlgoProvider(
        server.url, server.api_key, rate_limiter=TokenBucket(1000.0, burst=1000.0), sleep=sleeps.append, timeout=2.0
    )


def bodies(server: OpenAlgoServer, endpoint: str) -> list[dict]:
    return [body for name, body in server.requests if name == endpoint]


def test_exchanges_stocks_on_nse_and_nfo_indices_on_their_index_exchange():
    assert exchanges_of("infy") == ("NSE", "NFO")
    assert exchanges_of("NIFTY") == ("NSE_INDEX", "NFO")
    assert exchanges_of("SENSEX") == ("BSE_INDEX", "BFO")
    assert exchanges_of("TCS", "BSE") == ("BSE", "BFO")


def test_quote_is_the_last_price_of_the_underlying_in_rupees(provider, server):
    quote = provider.quote("infy")
    assert (quote.symbol, quote.price, quote.previous_close, quote.currency) == ("INFY", 1500.0, 1490.0, "INR")
    assert quote.quote_time.tzinfo is not None
    assert bodies(server, "quotes")[-1] == {"apikey": server.api_key, "symbol": "INFY", "exchange": "NSE"}
    provider.quote("NIFTY")
    assert bodies(server, "quotes")[-1]["exchange"] == "NSE_INDEX"


def test_expirations_are_read_from_dd_mmm_yy_and_asked_on_the_options_exchange(provider, server):
    days = provider.expirations("INFY")
    assert days == sorted(server.market.underlyings["INFY"].expiries) and len(days) == 3
    assert bodies(server, "expiry")[-1] == {
        "apikey": server.api_key,
        "symbol": "INFY",
        "exchange": "NFO",
        "instrumenttype": "options",
    }


def test_chain_carries_each_contracts_lot_size_and_the_yfinance_columns(provider, server):
    expiry = provider.expirations("INFY")[0]
    frame = provider.chain("INFY", expiry)
    assert list(frame.columns) == [*CHAIN_COLUMNS, "option_type"]
    assert len(frame) == 2 * 17 and set(frame.option_type) == {"call", "put"}  # 8 strikes each side of the ATM
    assert (frame.contractSize == 50).all()
    assert (frame.currency == "INR").all() and (frame.ask >= frame.bid).all() and (frame.bid > 0).all()
    atm = frame[frame.strike == 1500.0].set_index("option_type")
    assert atm.loc["call", "contractSymbol"] == f"INFY{expiry:%d%b%y}".upper() + "1500CE"
    calls = frame[frame.option_type == "call"]
    assert calls[calls.strike < 1500].inTheMoney.all() and not calls[calls.strike >= 1500].inTheMoney.any()
    assert bodies(server, "optionchain")[-1] == {
        "apikey": server.api_key,
        "underlying": "INFY",
        "exchange": "NSE",
        "expiry_date": f"{expiry:%d%b%y}".upper(),
    }
    assert (provider.chain("NIFTY", expiry).contractSize == 75).all()


def test_a_revised_lot_size_belongs_to_its_expiry(provider, server):
    first, second, _ = server.market.underlyings["RELIANCE"].expiries
    server.market.underlyings["RELIANCE"].lot_sizes[second] = 250
    assert set(provider.chain("RELIANCE", first).contractSize) == {500.0}
    assert set(provider.chain("RELIANCE", second).contractSize) == {250.0}


def test_snapshot_asks_only_for_expiries_inside_the_window(provider, server):
    everything = provider.snapshot("NIFTY", max_dte=0)
    assert len(everything.expirations) == 3 and server.calls("optionchain") == 3
    assert set(everything.chain.expiration) == set(everything.expirations)
    today = everything.quote.quote_time.date()
    window = (everything.expirations[0] - today).days + 1
    near = provider.snapshot("NIFTY", max_dte=window)
    assert near.expirations == everything.expirations[:1] and server.calls("optionchain") == 4


def test_metering_counts_every_request(provider):
    with provider.metering() as usage:
        provider.snapshot("INFY", max_dte=0)
    assert usage.requests == 1 + 1 + 3  # quote, expiry list, three chains
    assert usage.retries == 0 and usage.bytes > 0 and usage.network_seconds > 0


def test_unknown_symbol_is_symbol_not_found(provider):
    with pytest.raises(SymbolNotFound, match="Symbol 'NOPE' not found"):
        provider.snapshot("NOPE")
    with pytest.raises(SymbolNotFound):
        provider.history("NOPE", dt.date(2026, 11, 2), dt.date(2026, 11, 6))


def test_an_empty_expiry_list_is_no_options_not_an_error(provider, server):
    with pytest.raises(NoOptions, match="no option expiries"):
        provider.snapshot("YESBANK")  # quoted on NSE, lists nothing on NFO
    server.market.underlyings["INFY"].expiries = []
    with pytest.raises(NoOptions):
        provider.expirations("INFY")


def test_an_expiry_without_strikes_is_a_provider_error_with_openalgos_reason(provider):
    with pytest.raises(ProviderError, match="No strikes found for INFY expiring 01JAN30"):
        provider.chain("INFY", dt.date(2030, 1, 1))


def test_server_errors_are_retried_with_backoff_then_reported(provider, server, sleeps):
    server.fail("optionchain", "500", times=1)
    with provider.metering() as usage:
        expiry = provider.expirations("INFY")[0]
        assert len(provider.chain("INFY", expiry)) == 34
    assert usage.retries == 1 and len(sleeps) == 1
    server.fail("quotes", "html_502")
    with pytest.raises(
        ProviderError, match=r"quotes failed after 4 attempts: OpenAlgo at .* failed on quotes \(HTTP 502\)"
    ):
        provider.quote("INFY")
    assert len(sleeps) == 1 + 3 and sleeps[1] < sleeps[2] * 1.5


def test_a_429_pauses_the_hosts_bucket_and_is_counted(server, sleeps):
    now, waits = [0.0], []

    def wait(seconds: float) -> None:  # the bucket's fake clock
        waits.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(1000.0, burst=1000.0, clock=lambda: now[0], sleep=wait)
    provider = OpenAlgoProvider(server.url, server.api_key, rate_limiter=bucket, sleep=sleeps.append, pause_on_429=30)
    server.fail("expiry", "rate_limit", times=1)
    with provider.metering() as usage:
        assert len(provider.expirations("NIFTY")) == 3
    assert (usage.rate_limited, usage.retries) == (1, 1)
    # the retry waited out the pause in the host's bucket, which every request to this host shares
    assert bucket.pauses == 1 and sum(waits) == pytest.approx(30.0, abs=0.01)
    assert usage.wait_seconds == pytest.approx(sum(waits))


def test_a_timeout_and_a_down_server_are_provider_errors(server, sleeps):
    provider = OpenAlgoProvider(
        server.url, server.api_key, rate_limiter=TokenBucket(1000.0), sleep=sleeps.append, timeout=0.3, max_retries=1
    )
    server.fail("quotes", "timeout", times=2)
    server.slow_seconds = 1.0
    with pytest.raises(ProviderError, match="after 2 attempts: OpenAlgo at .* did not answer quotes within 0.3 s"):
        provider.quote("INFY")
    server.stop()
    with pytest.raises(
        ProviderError, match=r"after 2 attempts: cannot reach OpenAlgo at .* \(is OpenAlgo running there\?\)"
    ):
        provider.quote("INFY")


def test_a_rejected_key_fails_without_retrying_and_never_shows_the_key(server, sleeps, caplog):
    wrong = "f" * 64
    provider = OpenAlgoProvider(server.url, wrong, rate_limiter=TokenBucket(1000.0), sleep=sleeps.append)
    with caplog.at_level(logging.DEBUG), pytest.raises(ProviderError) as failure:
        provider.snapshot("INFY")
    assert "rejected the API key" in str(failure.value) and "Invalid openalgo apikey" in str(failure.value)
    assert sleeps == [] and server.calls("quotes") == 1
    assert wrong not in str(failure.value) and wrong not in caplog.text and wrong not in repr(provider)


def test_garbage_is_a_provider_error(provider, server):
    server.fail("expiry", "invalid_json")
    with pytest.raises(ProviderError, match="not JSON"):
        provider.expirations("INFY")


def test_history_is_daily_ohlcv_on_indian_trading_dates(provider):
    frame = provider.history("RELIANCE", dt.date(2026, 11, 2), dt.date(2026, 11, 8))
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    # the candles are stamped at IST midnight (the evening before in UTC): the dates are the Indian trading days
    assert [d.date() for d in frame.index] == [dt.date(2026, 11, d) for d in range(2, 7)]
    assert (frame.high >= frame.low).all() and frame.index.is_monotonic_increasing
    weekend = provider.history("RELIANCE", dt.date(2026, 11, 7), dt.date(2026, 11, 8))
    assert weekend.empty and list(weekend.columns) == ["open", "high", "low", "close", "volume"]
