"""The synthetic market: an offline, deterministic provider for demos, tests and benchmarks.

Same seed + same as_of => bit-identical answers. A symbol's daily close follows a mean-reverting random walk
in log price over NYSE sessions from a fixed epoch, driven by a market factor, its own shocks and earnings-day
jumps, all drawn from streams seeded by (seed, symbol) -- so a date's close never depends on the window or
the as_of that asked for it. Chains are priced off that close (synthetic_chain.py), many symbols at a time.
docs/synthetic-data.md describes what is modelled and the knobs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from core.clock import NEW_YORK, new_york_date, today_in_new_york
from core.providers.base import (
    CHAIN_COLUMNS,
    OHLCV_COLUMNS,
    ChainSnapshot,
    MarketDataProvider,
    NoOptions,
    Profile,
    Quote,
    SymbolNotFound,
    apply_window,
    empty_chain,
)
from core.providers.synthetic_calendar import (
    EPOCH,
    earnings_dates,
    last_session,
    listed_expirations,
    session_dates,
    session_index,
)
from core.providers.synthetic_chain import ChainBatch, price_chains
from core.providers.universe import build_universe

_REF_DAY = int(session_index(np.datetime64("2025-01-02")))  # where a symbol's trend line meets its anchor
_PHI = 0.5 ** (1 / 504)  # log-price deviations from trend decay with a two-year half-life
_CHUNK = 256  # walks are filtered in whole chunks of sessions, so a longer walk extends a shorter one exactly
_BATCH = 256  # symbols priced together by snapshots()
_AHEAD = 64  # symbols priced at once when single-symbol calls walk the universe in order
_CACHE_SIZE = 2 * _AHEAD


class SyntheticProvider(MarketDataProvider):
    """A believable US equity-options market generated from a seed; see the module docstring."""

    name = "synthetic"

    def __init__(
        self,
        seed: int = 7,
        as_of: dt.date | None = None,
        n_symbols: int = 1200,
        strikes_per_expiry: float = 5.0,
        risk_free_rate: float = 0.04,
        quirks: bool = True,
    ):
        self.seed, self.rate, self.quirks, self.strikes_per_expiry = seed, risk_free_rate, quirks, strikes_per_expiry
        self.as_of = as_of or today_in_new_york()
        self.market_date = last_session(self.as_of)  # the session whose close the quotes show
        self._t = int(session_index(self.market_date))
        if self._t < 1:
            raise ValueError(f"as_of must be after {EPOCH}")
        self._u = u = build_universe(seed, n_symbols)
        self._keys = np.array(
            [int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little") for s in u.symbols],
            dtype=np.uint64,
        )
        self._n_days = (self._t // _CHUNK + 1) * _CHUNK
        self._market = np.random.default_rng([seed, 0x3A4]).standard_normal(self._n_days)
        # Implied vols rise after the market has fallen (the leverage effect): last month's market shocks.
        self._regime = float(np.exp(-0.1 * self._market[max(self._t - 20, 0) : self._t + 1].sum() / np.sqrt(21)))
        self._reports = earnings_dates(u.earnings_phase, self.as_of.year + 2)
        # Payers go ex-dividend quarterly, three to seven weeks after they report (a per-symbol lag).
        lag = 21 + (self._keys % np.uint64(29)).astype(float)
        self._ex_dividends = earnings_dates((u.earnings_phase + lag) % 91, self.as_of.year + 2)
        self._expiries, self._monthly = listed_expirations(self.as_of)
        self._expiry_dates: list[dt.date] = [d.item() for d in self._expiries]
        self._expiry_codes = [f"{d:%y%m%d}" for d in self._expiry_dates]
        day = self.market_date.item()
        close = dt.datetime.combine(day, dt.time(16), NEW_YORK).astimezone(dt.UTC)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        # A quote of today's session is never stamped after the moment it is given: before the close, "now".
        self._quote_time = min(close, now) if day == new_york_date(now) else close
        self._open_seconds = int(
            (
                dt.datetime.combine(day, dt.time(9, 30), NEW_YORK).astimezone(dt.UTC)
                - dt.datetime.combine(day, dt.time(0), dt.UTC)
            ).total_seconds()
        )
        self._n_strikes = np.maximum(3, np.round(strikes_per_expiry * (0.4 + 1.2 * u.liquidity))).astype(int)
        self._closes: dict[int, tuple[float, float]] = {}
        self._walks: OrderedDict[int, np.ndarray] = OrderedDict()
        self._chains: OrderedDict[int, pd.DataFrame] = OrderedDict()
        self._last: dict[str, int] = {}
        self._session_index: pd.DatetimeIndex | None = None

    # ---- the interface -------------------------------------------------------------------------------
    def universe(self) -> list[str]:
        return list(self._u.symbols)

    def quote(self, symbol: str) -> Quote:
        i = self._row(symbol)
        close, prev = self._close(i)
        return Quote(self._u.symbols[i], close, self._quote_time, "USD", prev)

    def profile(self, symbol: str) -> Profile:
        i, u = self._row(symbol), self._u
        reports = self._reports[i]
        return Profile(
            symbol=u.symbols[i],
            name=u.names[i],
            sector=u.sectors[i],
            industry=u.industries[i],
            market_cap=int(u.shares[i] * self._close(i)[0]),
            avg_volume=int(u.avg_volume[i]),
            dividend_yield=float(u.dividend_yield[i]),
            exchange=u.exchanges[i],
            next_earnings=reports[reports >= np.datetime64(self.as_of, "D")][0].item(),
            ex_dividend=self._next_ex_dividend(i),
        )

    def _next_ex_dividend(self, i: int) -> dt.date | None:
        """The first ex-dividend date on or after the as-of date; None for a stock that pays no dividend."""
        if not self._u.dividend_yield[i] > 0:
            return None
        dates = self._ex_dividends[i]
        return dates[dates >= np.datetime64(self.as_of, "D")][0].item()

    def expirations(self, symbol: str) -> list[dt.date]:
        if not self._u.has_options[self._row(symbol)]:
            raise NoOptions(symbol)
        return list(self._expiry_dates)

    def chain(self, symbol: str, expiration: dt.date) -> pd.DataFrame:
        self.expirations(symbol)
        i, expiration = self._row(symbol), pd.Timestamp(expiration).date()
        if expiration not in self._expiry_dates:
            raise ValueError(f"{symbol}: {expiration} is not a listed expiration ({self._expiry_dates})")
        k, rows = self._expiry_dates.index(expiration), 2 * int(self._n_strikes[i])
        frame = self._chain_frame(i).iloc[k * rows : (k + 1) * rows]
        return frame.drop(columns="expiration").reset_index(drop=True)

    def snapshot(self, symbol: str, max_dte: int = 0) -> ChainSnapshot:
        expirations = self.expirations(symbol)
        chain = self._chain_frame(self._row(symbol)).copy(deep=False)
        return apply_window(ChainSnapshot(self.quote(symbol), self.profile(symbol), expirations, chain), max_dte)

    def snapshots(self, symbols: Iterable[str]) -> Iterator[ChainSnapshot]:
        """Snapshots priced many symbols at a time; a symbol without options yields an empty chain, not NoOptions.

        Every symbol is looked up first, so an unknown one raises SymbolNotFound before anything is yielded.
        """
        rows = [self._row(s) for s in symbols]
        for lo in range(0, len(rows), _BATCH):
            batch = rows[lo : lo + _BATCH]
            self._ensure_closes(batch)
            optioned = list(dict.fromkeys(i for i in batch if self._u.has_options[i]))
            frames = dict(zip(optioned, self._build_chains(optioned), strict=True))
            for i in batch:
                symbol = self._u.symbols[i]
                if i in frames:
                    yield ChainSnapshot(self.quote(symbol), self.profile(symbol), list(self._expiry_dates), frames[i])
                else:
                    yield ChainSnapshot(
                        self.quote(symbol), self.profile(symbol), [], empty_chain(), ["no options listed"]
                    )

    def history(self, symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        i, t = self._row(symbol), self._t
        lo = max(int(session_index(np.datetime64(start, "D"))), 0)
        window = slice(lo, max(min(int(session_index(np.datetime64(end, "D") + 1)), t + 1), lo))
        walk = self._walk(i)
        log_close, prev = walk[window], np.concatenate([walk[:1], walk[:t]])[window]
        # Intraday shape comes from its own stream, drawn whole so that a day's bar never depends on the window.
        z = np.random.default_rng([self.seed, int(self._keys[i]), 2]).standard_normal((self._n_days, 4))[window]
        sig = float(self._daily_vol([i])[0])
        open_ = np.exp(prev + 0.35 * (log_close - prev) + 0.3 * sig * z[:, 0])  # part of the move is overnight
        close = np.exp(log_close)
        volume = self._u.avg_volume[i] * np.exp(0.4 * z[:, 3] - 0.08) * (0.6 + 0.4 * np.abs(log_close - prev) / sig)
        if self._session_index is None:
            self._session_index = pd.DatetimeIndex(session_dates(np.arange(t + 1)), name="date")
        return pd.DataFrame(
            {
                "open": _cents(open_),
                "high": _cents(np.maximum(open_, close) * np.exp(0.5 * sig * np.abs(z[:, 1]))),
                "low": _cents(np.minimum(open_, close) * np.exp(-0.5 * sig * np.abs(z[:, 2]))),
                "close": _cents(close),
                "volume": np.maximum(np.round(volume), 1),  # whole shares, float64 like the other providers
            },
            index=self._session_index[window],
            columns=list(OHLCV_COLUMNS),
        )

    # ---- prices -------------------------------------------------------------------------------------
    def _row(self, symbol: str) -> int:
        i = self._u.index.get(str(symbol).strip().upper())
        if i is None:
            raise SymbolNotFound(f"synthetic: unknown symbol {symbol!r}")
        return i

    def _daily_vol(self, rows) -> np.ndarray:
        return self._u.vol[rows] * 0.85 / np.sqrt(252)  # realised vol runs a little under implied

    def _close(self, i: int) -> tuple[float, float]:
        rows = self._rows_for("close", i)
        if i not in self._closes:
            self._ensure_closes(rows)
        return self._closes[i]

    def _rows_for(self, kind: str, i: int) -> list[int]:
        """`i`, or the block of symbols from `i` when calls of `kind` are walking the universe in order.

        A sync asks for one symbol at a time, usually in universe order; pricing the next few dozen together
        makes that as fast as `snapshots()`, while a random look-up still prices one symbol.
        """
        last, self._last[kind] = self._last.get(kind, -_AHEAD), i
        return list(range(i, min(i + _AHEAD, len(self._u)))) if 0 < i - last <= 4 else [i]

    def _ensure_closes(self, rows: list[int]) -> None:
        missing = [i for i in rows if i not in self._closes]
        if missing:
            pairs = _cents(np.exp(self._walks_for(missing)[:, [self._t, self._t - 1]]))
            self._closes.update({i: (float(c), float(p)) for i, (c, p) in zip(missing, pairs, strict=True)})

    def _walk(self, i: int) -> np.ndarray:
        if i not in self._walks:
            self._walks[i] = self._walks_for([i])[0]
            if len(self._walks) > _CACHE_SIZE:
                self._walks.popitem(last=False)
        self._walks.move_to_end(i)
        return self._walks[i]

    def _walks_for(self, rows: list[int]) -> np.ndarray:
        """Log closes from EPOCH, shape (symbols, sessions); each row depends only on its own symbol."""
        u, n, rows_a = self._u, self._n_days, np.asarray(rows)
        z = np.stack([np.random.default_rng([self.seed, int(self._keys[i]), 1]).standard_normal(n) for i in rows])
        sig, rho = self._daily_vol(rows_a)[:, None], u.market_rho[rows_a][:, None]
        idio = np.repeat(sig * np.sqrt(1 - rho * rho), n, axis=1)
        days = session_index(self._reports[rows_a])
        hit = (days >= 1) & (days < n)  # earnings days: the idiosyncratic shock carries the report's surprise
        which = np.nonzero(hit)[0]
        idio[which, days[hit]] = np.hypot(idio[which, 0], 0.14 * u.vol[rows_a][which])
        eps = sig * rho * self._market + idio * z
        eps[:, 0] = 0.0
        # y_t = phi * y_{t-1} + eps_t, a chunk at a time: within a chunk it is a discounted cumulative sum.
        k = np.arange(1, _CHUNK + 1)
        partial = np.cumsum(eps.reshape(len(rows), -1, _CHUNK) * _PHI**-k, axis=2)
        starts = np.empty(partial.shape[:2])
        y = sig[:, 0] / np.sqrt(1 - _PHI**2) * z[:, 0] / _PHI  # start from the stationary distribution
        for c in range(partial.shape[1]):
            starts[:, c] = y
            y = _PHI**_CHUNK * (y + partial[:, c, -1])
        dev = (_PHI**k * (starts[:, :, None] + partial)).reshape(len(rows), n)
        trend = u.trend[rows_a][:, None] * (np.arange(n) - _REF_DAY) / 252
        return np.log(u.anchor_price[rows_a])[:, None] + trend + dev

    # ---- chains -------------------------------------------------------------------------------------
    def _chain_frame(self, i: int) -> pd.DataFrame:
        rows = self._rows_for("chain", i)
        if i not in self._chains:
            rows = [r for r in rows if self._u.has_options[r] and r not in self._chains]
            self._chains.update(zip(rows, self._build_chains(rows), strict=True))
            while len(self._chains) > _CACHE_SIZE:
                self._chains.popitem(last=False)
        self._chains.move_to_end(i)
        return self._chains[i]

    def _build_chains(self, rows: list[int]) -> list[pd.DataFrame]:
        """One chain frame per symbol (CHAIN_COLUMNS + option_type + expiration), priced together."""
        if not rows:
            return []
        u, rows_a = self._u, np.asarray(rows)
        self._ensure_closes(rows)
        closes = np.array([self._closes[i] for i in rows])
        reports = self._reports[rows_a]
        next_report = reports[np.arange(len(rows)), np.argmax(reports > self.market_date, axis=1)]
        event = (0.14 * u.vol[rows_a]) ** 2
        c = price_chains(
            ChainBatch(
                spot=closes[:, 0],
                prev_spot=closes[:, 1],
                dividend_yield=u.dividend_yield[rows_a],
                vol=u.vol[rows_a] * self._regime,
                skew=u.skew[rows_a],
                curvature=u.curvature[rows_a],
                liquidity=u.liquidity[rows_a],
                n_strikes=self._n_strikes[rows_a],
                event_var=np.where(self._expiries[None, :] >= next_report[:, None], event[:, None], 0.0),
                days=(self._expiries - self.market_date).astype(float),
                monthly=self._monthly,
                rate=self.rate,
                quirks=self.quirks,
            ),
            [np.random.default_rng([self.seed, int(self._keys[i]), 3, self._t]) for i in rows],
        )
        roots = [f"{u.symbols[i]}{code}{kind}" for i in rows for code in self._expiry_codes for kind in "CP"]
        root = (c["symbol_index"] * len(self._expiry_codes) + c["expiry_index"]) * 2 + ~c["is_call"]
        milli = np.round(c["strike"] * 1000).astype(np.int64)
        contract = [f"{roots[r]}{m:08d}" for r, m in zip(root.tolist(), milli.tolist(), strict=True)]
        stale = c["stale_sessions"]
        days = session_dates(self._t - np.arange(stale.max() + 1))[stale].astype("datetime64[s]")
        stamps = days + (self._open_seconds + c["trade_second"]).astype("timedelta64[s]")
        n = len(contract)
        frame = pd.DataFrame(
            {
                "contractSymbol": contract,
                "lastTradeDate": pd.DatetimeIndex(stamps.astype("datetime64[ns]")).tz_localize("UTC"),
                **{col: c[col] for col in CHAIN_COLUMNS[2:12]},
                "contractSize": np.full(n, "REGULAR", dtype=object),
                "currency": np.full(n, "USD", dtype=object),
                "option_type": np.where(c["is_call"], "call", "put").astype(object),
                "expiration": np.array(self._expiry_dates, dtype=object)[c["expiry_index"]],
            }
        )
        bounds = c["offsets"]
        return [frame.iloc[bounds[k] : bounds[k + 1]].reset_index(drop=True) for k in range(len(rows))]


def _cents(prices: np.ndarray) -> np.ndarray:
    return np.maximum(np.round(prices, 2), 0.01)
