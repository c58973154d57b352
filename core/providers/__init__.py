"""Market-data providers behind one interface (base.py); `get_provider` builds one by name."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from core.providers.base import MarketDataProvider, UnknownProvider

if TYPE_CHECKING:
    from sqlalchemy import Engine

PROVIDER_NAMES = ("synthetic", "yfinance", "csv", "openalgo")
# Providers that cannot list their symbols without the network (any well-formed ticker is accepted for them).
ONLINE_PROVIDERS = ("yfinance", "openalgo")


def get_provider(
    name: str | None = None,
    *,
    source: str | None = None,
    as_of: dt.date | None = None,
    n_symbols: int | None = None,
    account: int | str | None = None,
    engine: Engine | None = None,
) -> MarketDataProvider:
    """The provider called `name` (default: MARKET_DATA_PROVIDER). Only the yfinance adapter imports yfinance.

    `openalgo` reads through a broker account: `account` (an id or a name; default OPENALGO_ACCOUNT), whose key
    is decrypted from the database at `engine` (default: DATABASE_URL's).
    """
    from core.config import get_settings

    settings = get_settings()
    name = name or settings.market_data_provider
    if name == "synthetic":
        from core.providers.synthetic import SyntheticProvider

        return SyntheticProvider(
            seed=settings.synthetic_seed,
            as_of=as_of,
            n_symbols=n_symbols or settings.synthetic_universe_size,
            risk_free_rate=settings.risk_free_rate,
        )
    if name == "yfinance":
        from core.providers.yfinance_provider import YFinanceProvider

        return YFinanceProvider(
            requests_per_second=settings.yf_requests_per_second,
            max_retries=settings.yf_max_retries,
            timeout=settings.yf_timeout_seconds,
            base_url=settings.yf_base_url,
            pause_on_429=settings.yf_pause_on_429_seconds,
        )
    if name == "csv":
        from core.providers.csv_provider import CsvProvider

        source = source or settings.market_data_source
        if not source:
            raise UnknownProvider("the csv provider needs a folder: pass --source DIR or set MARKET_DATA_SOURCE")
        return CsvProvider(source, as_of=as_of)
    if name == "openalgo":
        from core.providers.openalgo_account import provider_for_account

        return provider_for_account(account, engine=engine, settings=settings)
    raise UnknownProvider(f"unknown market data provider {name!r}: choose one of {', '.join(PROVIDER_NAMES)}")
