"""pandas objects that behave the way FluxScan scanners expect, and TA-Lib functions that return them.

Scanners written for older pandas index Series by position with integers (`close[-1]`, `rsi[-2]`). pandas 3
removed that fallback (an integer on a DatetimeIndex is now a missing label), so the namespace hands over a
Series subclass whose integer keys, integer slices and integer lists are positions, and a DataFrame subclass
whose columns are that Series. TA-Lib results are wrapped the same way, so `RSI(close, 14)[-1]` works too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import talib

SHORTCUTS = (
    "SMA",
    "EMA",
    "RSI",
    "MACD",
    "BBANDS",
    "ATR",
    "ADX",
    "STOCH",
    "CCI",
    "MFI",
    "OBV",
    "SAR",
    "WILLR",
    "ROC",
    "MOM",
)


def _is_int(key: Any) -> bool:
    return isinstance(key, int | np.integer) and not isinstance(key, bool | np.bool_)


def _positional(key: Any) -> bool:
    if _is_int(key):
        return True
    if isinstance(key, slice):
        bounds = (key.start, key.stop, key.step)
        return any(b is not None for b in bounds) and all(b is None or _is_int(b) for b in bounds)
    if isinstance(key, list) and key:
        return all(_is_int(k) for k in key)
    return False


class PositionalSeries(pd.Series):
    """A Series where an integer key means a position, as in pandas before 3.0 on a non-integer index."""

    @property
    def _constructor(self):
        return PositionalSeries

    @property
    def _constructor_expanddim(self):
        return PositionalFrame

    def __getitem__(self, key):
        if _positional(key) and not _integer_index(self.index):
            return self.iloc[key]
        return super().__getitem__(key)


class PositionalFrame(pd.DataFrame):
    """A DataFrame whose columns come out as `PositionalSeries` (`df["close"][-1]`, `df.close[-1]`)."""

    @property
    def _constructor(self):
        return PositionalFrame

    @property
    def _constructor_sliced(self):
        return PositionalSeries


def _integer_index(index: pd.Index) -> bool:
    # On an integer index an integer has always been a label; keep pandas' meaning there.
    return index.dtype.kind in "iu"


_INDEX_CACHE: dict[bytes, pd.DatetimeIndex] = {}
OHLCV = ("open", "high", "low", "close", "volume")


def date_index(days: np.ndarray) -> pd.DatetimeIndex:
    """The DatetimeIndex for day numbers since 1970; shared between symbols with the same dates (it is immutable)."""
    key = days.tobytes()
    index = _INDEX_CACHE.get(key)
    if index is None:
        if len(_INDEX_CACHE) > 64:
            _INDEX_CACHE.clear()
        index = _INDEX_CACHE[key] = pd.DatetimeIndex(
            days.astype("int64").astype("datetime64[D]").astype("datetime64[ns]"), name="date"
        )
    return index


def ohlcv_frame(block: np.ndarray) -> PositionalFrame:
    """A (6, n) float64 block -- day number since 1970, open, high, low, close, volume -- as the scanner's `df`."""
    return PositionalFrame(block[1:].T, index=date_index(block[0]), columns=list(OHLCV), copy=False)


def ohlcv_series(block: np.ndarray, name: str) -> PositionalSeries:
    """One column of the block as a Series, without building the frame (for scanners that never use `df`)."""
    return PositionalSeries(block[1 + OHLCV.index(name)], index=date_index(block[0]), name=name, copy=False)


def _as_array(value: Any) -> Any:
    if isinstance(value, pd.Series | np.ndarray | list | tuple):
        return np.ascontiguousarray(np.asarray(value, dtype=np.float64))
    return value


def _wrap(function):
    def call(*args, **kwargs):
        index = next((a.index for a in args if isinstance(a, pd.Series)), None)
        out = function(*(_as_array(a) for a in args), **{k: _as_array(v) for k, v in kwargs.items()})
        if index is None:  # arrays in, arrays out, as TA-Lib itself does (an array's [-1] is positional anyway)
            return out
        if isinstance(out, tuple):
            return tuple(PositionalSeries(o, index=index, copy=False) for o in out)
        return PositionalSeries(out, index=index, copy=False)

    call.__name__ = call.__qualname__ = function.__name__
    call.__doc__ = function.__doc__
    return call


class TalibFunctions:
    """`talib` as scanners see it: every TA-Lib function, returning PositionalSeries; nothing else of the module."""

    def __init__(self) -> None:
        for name in talib.get_functions():
            setattr(self, name, _wrap(getattr(talib, name)))
        self.MA_Type = talib.MA_Type
        self.get_functions = talib.get_functions
        self.get_function_groups = talib.get_function_groups

    def __repr__(self) -> str:
        return "<talib (TA-Lib functions returning position-indexed Series)>"


TALIB = TalibFunctions()
TALIB_SHORTCUTS = {name: getattr(TALIB, name) for name in SHORTCUTS}
