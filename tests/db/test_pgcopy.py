"""PostgreSQL's binary COPY format: what `encode` writes, `decode_fixed` reads back, and it refuses what it cannot."""

from __future__ import annotations

import numpy as np
import pytest

from core.db import pgcopy


def _stream(values: np.ndarray, days: np.ndarray) -> bytes:
    return pgcopy.encode([pgcopy.float8(values), pgcopy.date(days)]).getvalue()


def test_fixed_width_rows_round_trip():
    values = np.array([1.5, -2.25, 1e300, 0.1])
    days = np.array(["2000-01-01", "1970-01-01", "2026-12-02", "1999-12-31"], dtype="datetime64[D]")
    decoded_values, decoded_days = pgcopy.decode_fixed(_stream(values, days), [">f8", ">i4"])
    assert decoded_values.tolist() == values.tolist()
    assert decoded_days.tolist() == [0, -10957, 9832, -1]  # days since 2000-01-01, PostgreSQL's epoch
    assert decoded_values.dtype == np.float64 and decoded_days.dtype == np.int32


def test_an_empty_result_is_empty_columns():
    empty = _stream(np.array([]), np.array([], dtype="datetime64[D]"))
    assert [c.size for c in pgcopy.decode_fixed(empty, [">f8", ">i4"])] == [0, 0]


def test_a_null_a_wrong_width_or_a_cut_stream_is_refused():
    days = np.array(["2026-12-01", "2026-12-02"], dtype="datetime64[D]")
    with pytest.raises(ValueError, match="not rows of 22 bytes"):  # NaN is written as NULL: a shorter row
        pgcopy.decode_fixed(_stream(np.array([1.0, np.nan]), days), [">f8", ">i4"])
    eleven = np.repeat(np.array(["2026-12-02"], dtype="datetime64[D]"), 11)
    with pytest.raises(ValueError, match="fields|NULL"):  # 11 NULL rows of 14 bytes are 7 rows' worth of bytes
        pgcopy.decode_fixed(_stream(np.full(11, np.nan), eleven), [">f8", ">i4"])
    good = _stream(np.array([1.0, 2.0]), days)
    with pytest.raises(ValueError, match="not rows of"):
        pgcopy.decode_fixed(good, [">f8", ">i8"])
    with pytest.raises(ValueError, match="not a binary COPY stream"):
        pgcopy.decode_fixed(good[:-3], [">f8", ">i4"])
    with pytest.raises(ValueError, match="not a binary COPY stream"):
        pgcopy.decode_fixed(b"a\tb\n", [">f8"])
