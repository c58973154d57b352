"""The market data behind the local OpenAlgo server: `quotes`, `expiry`, `optionchain` and `history` replies.

Bodies follow marketcalls/openalgo's services (quotes_service, expiry_service, option_chain_service,
history_service) and restx_api schemas:
- `quotes` -> `{"status": "success", "data": {"open", "high", "low", "ltp", "ask", "bid", "prev_close", "volume"}}`;
  a symbol the master contract lacks on that exchange -> 400 "Symbol '<S>' not found for exchange '<E>'. ...".
- `expiry` -> `{"status": "success", "message": "Found N expiry dates for <S> options in NFO", "data": ["10-JUL-25",
  ...]}` ascending; no match (an unknown symbol too) -> 200 with `data: []`; an exchange outside the F&O list -> 400.
- `optionchain` -> the chain at the top level (no `data`): underlying, underlying_ltp, underlying_prev_close,
  expiry_date (DDMMMYY), expiry_ts, server_ts, atm_strike, quotes_included, greeks_included, forward_price and
  `chain`: per strike `{"strike", "ce": {...}|null, "pe": {...}|null}` with symbol, label (ATM/ITM<n>/OTM<n>), ltp,
  bid, ask, bid_qty, ask_qty, open, high, low, prev_close, volume, oi, lotsize, tick_size. Unknown underlying ->
  400 "Failed to fetch LTP for ..."; an expiry without strikes -> 404 "No strikes found for ...".
- `history` -> `{"status": "success", "data": [{"timestamp": <epoch s of the IST midnight>, "open", "high", "low",
  "close", "volume", "oi"}, ...]}`; unknown symbol -> 400 as for quotes.
Prices come from Black-Scholes at a fixed IV smile, spreads of about 1 % rounded to the 0.05 tick, so a chain
looks like a liquid NFO chain; tests change the market between calls.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from core.pricing import bsm

MARKET_ENDPOINTS = ("quotes", "expiry", "optionchain", "history")
F_AND_O_EXCHANGES = ("NFO", "BFO", "MCX", "CDS", "NCO", "BCD", "NCDEX", "CRYPTO")
OPTIONS_EXCHANGE = {"NSE": "NFO", "NSE_INDEX": "NFO", "BSE": "BFO", "BSE_INDEX": "BFO"}
IST = ZoneInfo("Asia/Kolkata")
TICK = 0.05


def _tick(value: float) -> float:
    return round(round(value / TICK) * TICK, 2)


def monthly_expiries(today: dt.date, count: int = 3) -> list[dt.date]:
    """The last Thursday of this month and the next ones (NSE's monthly expiries), those not yet past."""
    out, year, month = [], today.year, today.month
    while len(out) < count:
        last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        thursday = last - dt.timedelta(days=(last.weekday() - 3) % 7)
        if thursday >= today:
            out.append(thursday)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@dataclass
class Underlying:
    """One symbol of the server's master contract: where it is quoted, its price, lot size and listed options."""

    symbol: str
    exchange: str  # where the underlying is quoted: NSE, NSE_INDEX, BSE, BSE_INDEX
    ltp: float
    prev_close: float
    lot_size: int
    strike_step: float
    strikes_each_side: int = 8
    expiries: list[dt.date] = field(default_factory=list)  # empty: the symbol lists no options
    iv: float = 0.20
    lot_sizes: dict[dt.date, int] = field(default_factory=dict)  # an expiry with a revised lot size


def default_underlyings(today: dt.date) -> dict[str, Underlying]:
    expiries = monthly_expiries(today)
    return {
        u.symbol: u
        for u in (
            Underlying("NIFTY", "NSE_INDEX", 24560.15, 24570.65, 75, 50.0, expiries=expiries, iv=0.15),
            Underlying("RELIANCE", "NSE", 1187.75, 1165.70, 500, 20.0, expiries=expiries, iv=0.24),
            # a small lot, as test data: premium = mid x 50, capital = strike x 50
            Underlying("INFY", "NSE", 1500.00, 1490.00, 50, 20.0, expiries=expiries, iv=0.26),
            Underlying("YESBANK", "NSE", 16.50, 16.40, 0, 1.0),  # an equity without options
        )
    }


class Market:
    """The quotes, listed options and daily history the server answers with."""

    def __init__(self, today: dt.date | None = None) -> None:
        self.today = today or dt.datetime.now(IST).date()
        self.underlyings = default_underlyings(self.today)

    def reply(self, endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return getattr(self, f"_{endpoint}")(body)

    # -- endpoints -------------------------------------------------------------------------------------------
    def _quotes(self, body: dict) -> tuple[int, dict]:
        found = self._find(body.get("symbol"), body.get("exchange"))
        if isinstance(found, tuple):
            return found
        u = found
        return 200, {
            "status": "success",
            "data": {
                "open": _tick(u.prev_close * 1.002),
                "high": _tick(max(u.ltp, u.prev_close) * 1.01),
                "low": _tick(min(u.ltp, u.prev_close) * 0.99),
                "ltp": u.ltp,
                "ask": _tick(u.ltp + TICK),
                "bid": _tick(u.ltp - TICK),
                "prev_close": u.prev_close,
                "volume": 14414545,
            },
        }

    def _expiry(self, body: dict) -> tuple[int, dict]:
        symbol = str(body.get("symbol") or "").strip().upper()
        exchange = str(body.get("exchange") or "").strip().upper()
        kind = str(body.get("instrumenttype") or "").strip().lower()
        if exchange not in F_AND_O_EXCHANGES:
            choices = ", ".join(F_AND_O_EXCHANGES)
            return 400, {"status": "error", "message": {"exchange": [f"Must be one of: {choices}."]}}
        if kind not in ("futures", "options"):
            return 400, {"status": "error", "message": {"instrumenttype": ["Must be one of: futures, options."]}}
        u = self.underlyings.get(symbol)
        listed = [] if u is None or OPTIONS_EXCHANGE.get(u.exchange) != exchange else u.expiries
        dates = [d.strftime("%d-%b-%y").upper() for d in sorted(listed) if d >= self.today]
        if not dates:
            message = f"No expiry dates found for {symbol} {kind} in {exchange}"
        else:
            message = f"Found {len(dates)} expiry dates for {symbol} {kind} in {exchange}"
        return 200, {"status": "success", "message": message, "data": dates}

    def _optionchain(self, body: dict) -> tuple[int, dict]:
        symbol = str(body.get("underlying") or "").upper()
        expiry_text = str(body.get("expiry_date") or "").upper()
        if not expiry_text:
            return 400, {"status": "error", "message": "Validation error", "errors": {"expiry_date": ["Missing data."]}}
        found = self._find(symbol, body.get("exchange"))
        if isinstance(found, tuple):
            status, error = found
            return status, {"status": "error", "message": f"Failed to fetch LTP for {symbol}: {error['message']}"}
        u = found
        try:
            expiry = dt.datetime.strptime(expiry_text, "%d%b%y").date()
        except ValueError:
            expiry = None
        if expiry is None or expiry not in u.expiries:
            return 404, {
                "status": "error",
                "message": f"No strikes found for {symbol} expiring {expiry_text}. Please check expiry date or "
                "update master contract.",
            }
        count = body.get("strike_count")
        return 200, self._chain(u, expiry, expiry_text, count)

    def _history(self, body: dict) -> tuple[int, dict]:
        found = self._find(body.get("symbol"), body.get("exchange"))
        if isinstance(found, tuple):
            return found
        u = found
        start = dt.date.fromisoformat(str(body.get("start_date")))
        end = min(dt.date.fromisoformat(str(body.get("end_date"))), self.today)
        candles, day, price = [], start, u.prev_close
        while day <= end:
            if day.weekday() < 5:
                price = u.prev_close * (1 + 0.01 * math.sin(day.toordinal() / 3.0))
                midnight = dt.datetime.combine(day, dt.time(), IST)
                candles.append(
                    {
                        "timestamp": int(midnight.timestamp()),
                        "open": round(price * 0.998, 2),
                        "high": round(price * 1.01, 2),
                        "low": round(price * 0.99, 2),
                        "close": round(price, 2),
                        "volume": 1_000_000 + day.toordinal() % 1000,
                        "oi": 0,
                    }
                )
            day += dt.timedelta(days=1)
        return 200, {"status": "success", "data": candles}

    # -- helpers ---------------------------------------------------------------------------------------------
    def _find(self, symbol: Any, exchange: Any) -> Underlying | tuple[int, dict]:
        name, where = str(symbol or "").upper(), str(exchange or "").upper()
        u = self.underlyings.get(name)
        if u is None or u.exchange != where:
            return 400, {
                "status": "error",
                "message": f"Symbol '{name}' not found for exchange '{where}'. Please verify the symbol name and "
                "ensure master contracts are downloaded.",
            }
        return u

    def _chain(self, u: Underlying, expiry: dt.date, expiry_text: str, count: Any) -> dict:
        atm = round(u.ltp / u.strike_step) * u.strike_step
        each_side = min(u.strikes_each_side, int(count)) if count else u.strikes_each_side
        strikes = [atm + k * u.strike_step for k in range(-each_side, each_side + 1)]
        close = dt.datetime.combine(expiry, dt.time(15, 30), IST)
        now = dt.datetime.now(dt.UTC)
        years = max((close - now).total_seconds(), 3600.0) / (365.0 * 86400.0)
        lot = u.lot_sizes.get(expiry, u.lot_size)
        base = u.symbol + expiry_text
        chain = []
        for index, strike in enumerate(strikes):
            position = index - each_side
            smile = u.iv * (1 + 0.5 * ((strike / u.ltp) - 1) ** 2 * 10)
            entry: dict[str, Any] = {"strike": float(strike)}
            for leg, is_call in (("ce", True), ("pe", False)):
                value = float(bsm.price(u.ltp, strike, years, smile, 0.065, 0.0, np.array([is_call]))[0])
                mid = max(value, TICK)
                half = max(TICK, _tick(mid * 0.01))
                if position == 0:
                    label = "ATM"
                elif (position < 0) == is_call:
                    label = f"ITM{abs(position)}"
                else:
                    label = f"OTM{abs(position)}"
                entry[leg] = {
                    "symbol": f"{base}{strike:g}{leg.upper()}",
                    "label": label,
                    "ltp": _tick(mid),
                    "bid": _tick(max(mid - half, TICK)),
                    "ask": _tick(mid + half),
                    "bid_qty": 1500,
                    "ask_qty": 2250,
                    "open": _tick(mid * 1.05),
                    "high": _tick(mid * 1.1),
                    "low": _tick(mid * 0.92),
                    "prev_close": _tick(mid * 1.04),
                    "volume": 2841075 // (1 + abs(position)),
                    "oi": 4218300 // (1 + abs(position)),
                    "lotsize": lot,
                    "tick_size": TICK,
                }
            chain.append(entry)
        return {
            "status": "success",
            "underlying": u.symbol,
            "underlying_symbol": u.symbol,
            "underlying_exchange": u.exchange,
            "underlying_ltp": u.ltp,
            "underlying_prev_close": u.prev_close,
            "expiry_date": expiry_text,
            "expiry_ts": int(close.timestamp()),
            "server_ts": int(time.time()),
            "atm_strike": float(atm),
            "quotes_included": True,
            "greeks_included": False,
            "forward_price": None,
            "chain": chain,
        }
