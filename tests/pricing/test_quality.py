"""Quality rules: one test per reason, the documented order when several fail, and the per-reason counts."""

from __future__ import annotations

import numpy as np
import pytest

from core.pricing import quality

GOOD = dict(bid=1.00, ask=1.10, strike=95.0, underlying=100.0, days=30.0, iv=0.30)


def reason(**changes):
    row = {**GOOD, **changes}
    return quality.quality_reasons(**row).item()


def test_a_good_row_has_no_reason():
    assert reason() is None
    assert reason(iv=np.nan) is None  # a missing IV is solved from the mid, not a failure
    assert reason(bid=1.10, ask=1.10) is None  # a locked market still has a mid


@pytest.mark.parametrize(
    "changes", [dict(bid=np.nan), dict(ask=np.inf), dict(strike=np.nan), dict(iv=np.inf), dict(underlying=-np.inf)]
)
def test_non_finite(changes):
    assert reason(**changes) == "non_finite"


@pytest.mark.parametrize("strike", [0.0, -5.0])
def test_strike_not_positive(strike):
    assert reason(strike=strike) == "strike_not_positive"


@pytest.mark.parametrize("days", [0.0, -3.0, np.nan])
def test_expired(days):
    assert reason(days=days) == "expired"


@pytest.mark.parametrize("underlying", [np.nan, 0.0, -1.0])
def test_no_underlying_price(underlying):
    assert reason(underlying=underlying) == "no_underlying_price"


@pytest.mark.parametrize("bid", [0.0, -0.05])
def test_bid_not_positive(bid):
    assert reason(bid=bid) == "bid_not_positive"


def test_ask_below_bid():
    assert reason(bid=1.2, ask=1.1) == "ask_below_bid"


def test_iv_out_of_bounds():
    assert reason(iv=quality.IV_MAX + 0.01) == "iv_out_of_bounds"
    assert reason(iv=quality.IV_MAX) is None


def test_first_failing_reason_wins_in_the_documented_order():
    # Each row fails its reason and every reason after it in REASONS; the earliest must be reported.
    rows = [
        dict(bid=np.nan, strike=-1.0, days=0.0, underlying=0.0, ask=0.5, iv=9.0),
        dict(strike=-1.0, days=0.0, underlying=0.0, bid=0.0, ask=-1.0, iv=9.0),
        dict(days=0.0, underlying=0.0, bid=0.0, ask=-1.0, iv=9.0),
        dict(underlying=0.0, bid=0.0, ask=-1.0, iv=9.0),
        dict(bid=0.0, ask=-1.0, iv=9.0),
        dict(bid=1.2, ask=1.0, iv=9.0),
        dict(iv=9.0),
    ]
    assert [reason(**r) for r in rows] == list(quality.REASONS)


def test_vectorised_counts_and_nothing_raises():
    bid = np.array([1.0, 0.0, 1.2, 1.0, 1.0, np.nan])
    ask = np.array([1.1, 0.1, 1.1, 1.1, 1.1, 1.1])
    days = np.array([30, 30, 30, 0, 30, 30])
    reasons = quality.quality_reasons(bid, ask, 95.0, 100.0, days, [0.3, 0.3, 0.3, 0.3, 7.5, 0.3])
    assert reasons.tolist() == [None, "bid_not_positive", "ask_below_bid", "expired", "iv_out_of_bounds", "non_finite"]
    counts = quality.count_reasons(reasons)
    assert list(counts) == [*quality.REASONS, "ok"]
    assert counts["ok"] == 1 and counts["bid_not_positive"] == 1 and counts["strike_not_positive"] == 0
    assert sum(counts.values()) == 6


def test_unsolved_iv_is_flagged_only_where_nothing_else_failed():
    from core.pricing.quality import flag_unsolved_iv

    reasons = np.array([None, None, "bid_not_positive"], dtype=object)
    flagged = flag_unsolved_iv(reasons, [0.3, np.nan, np.nan])
    assert flagged.tolist() == [None, "no_iv", "bid_not_positive"]
    assert reasons.tolist() == [None, None, "bid_not_positive"]  # the input is not modified
