"""Hand-made chain snapshots for sync tests: contracts priced by Black-Scholes so the right IV is known."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.pricing import bsm
from core.providers.base import ChainSnapshot, Profile, Quote

QUOTE_TIME = dt.datetime(2026, 3, 13, 20, 30, tzinfo=dt.UTC)  # a Friday, after the New York close
AS_OF = dt.date(2026, 3, 13)
EXPIRY = dt.date(2026, 4, 17)
SIGMA, RATE = 0.30, 0.04


def row(
    strike: float,
    option_type: str = "put",
    *,
    expiry: dt.date = EXPIRY,
    bid=None,
    ask=None,
    iv: float | str = 1e-05,
    spot: float = 100.0,
    sigma: float = SIGMA,
    quote_time: dt.datetime = QUOTE_TIME,
    **extra,
) -> dict:
    """One chain row; bid/ask default to the BS price at `sigma` -/+ 2 %. Yahoo's placeholder IV by default."""
    close = dt.datetime.combine(expiry, dt.time(16), tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    t = (close - quote_time).total_seconds() / (365 * 86400)
    fair = float(bsm.price(spot, strike, t, sigma, RATE, 0.0, option_type == "call"))
    return {
        "contractSymbol": f"TEST{expiry:%y%m%d}{option_type[0].upper()}{int(strike * 1000):08d}",
        "lastTradeDate": quote_time - dt.timedelta(minutes=30),
        "strike": strike,
        "lastPrice": fair,
        "bid": fair * 0.98 if bid is None else bid,
        "ask": fair * 1.02 if ask is None else ask,
        "change": 0.0,
        "percentChange": 0.0,
        "volume": 10,
        "openInterest": 100,
        "impliedVolatility": iv,
        "inTheMoney": False,
        "contractSize": "REGULAR",
        "currency": "USD",
        "option_type": option_type,
        "expiration": expiry,
        **extra,
    }


def snapshot(
    rows: list[dict], symbol: str = "TEST", spot: float = 100.0, quote_time: dt.datetime = QUOTE_TIME
) -> ChainSnapshot:
    chain = pd.DataFrame(rows)
    expirations = sorted({r["expiration"] for r in rows if isinstance(r.get("expiration"), dt.date)})
    return ChainSnapshot(
        quote=Quote(symbol=symbol, price=spot, quote_time=quote_time, previous_close=spot),
        profile=Profile(symbol=symbol, name=f"{symbol} Inc", sector="Technology", dividend_yield=0.0),
        expirations=expirations,
        chain=chain,
    )


def strikes(*values: float, option_type: str = "put", **kw) -> list[dict]:
    return [row(v, option_type, **kw) for v in values]


def rows_by_key(frame: pd.DataFrame) -> dict:
    return {(r.option_type, r.strike_price): r for r in frame.itertuples()}


def close(a: float, b: float, tol: float = 1e-6) -> bool:
    return bool(np.isclose(a, b, atol=tol, rtol=0))
