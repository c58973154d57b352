"""Our implied volatility from the mid against Cboe's own IV, on two recorded Cboe quote downloads.

Cboe's numbers come from an American-exercise model with its own rates and dividends; ours is European
Black-Scholes-Merton. Two choices make the comparison fair, both stated here and in docs/maths.md:

- the spot and carry come from put-call parity per expiry: S e^-qT = median of (C - P + K e^-rT) over the
  six two-sided strikes with the smallest |C - P|, with r = 5.3 % (Sep 2023). That absorbs dividends
  (SPY went ex-dividend the next day) and removes the need for a dividend model;
- the compared contracts are out of the money (against the header spot) with 7 < DTE <= 180: in the money
  and at longer maturities, the early-exercise premium of American options at 5 % rates, which a European
  model reads as volatility, dominates the difference (docs/maths.md gives those figures too).

Also kept out: adjusted contracts (AMD1..., a non-standard deliverable listed beside the standard ones),
one-sided or crossed markets, and rows where Cboe shows no IV (0).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.pricing import implied_vol, mid

RATE = 0.053
FILES = {
    "SPY": ("SPY_quotedata_2023-09-14.csv", "2023-09-14"),
    "AMD": ("AMD_quotedata_2023-08-18.csv", "2023-08-18"),  # downloaded on the Sunday; quotes of Friday
}


def read_cboe(path: Path) -> tuple[float, pd.DataFrame]:
    """The header's last price and the chain (calls left, puts right; columns of the put side end in .1)."""
    with path.open() as fh:
        head = [next(fh) for _ in range(3)]
    last = float(re.search(r"Last:\s*([0-9.]+)", "".join(head)).group(1))
    frame = pd.read_csv(path, skiprows=3)
    frame["expiration"] = pd.to_datetime(frame["Expiration Date"], format="%a %b %d %Y")
    return last, frame


def compare(shared_data: Path, root: str) -> pd.DataFrame:
    """One row per eligible contract: days, side, strike, ours, Cboe's."""
    name, as_of = FILES[root]
    last, chain = read_cboe(shared_data / "options" / "cboe_quotedata" / name)
    chain = chain[chain["Calls"].str.match(rf"^{root}\d{{6}}C\d{{8}}$")].reset_index(drop=True)
    days = (chain["expiration"] - pd.Timestamp(as_of)).dt.days.to_numpy().astype(float)
    t = days / 365.0
    strike = chain["Strike"].to_numpy(dtype=float)
    call_mid = mid(chain["Bid"], chain["Ask"])
    put_mid = mid(chain["Bid.1"], chain["Ask.1"])
    spot_pv = np.full(len(chain), np.nan)
    for _, rows in chain.groupby("expiration").groups.items():
        i = np.asarray(rows)
        both = i[~np.isnan(call_mid[i]) & ~np.isnan(put_mid[i])]
        if both.size >= 2:
            gap = call_mid[both] - put_mid[both]
            near = both[np.argsort(np.abs(gap))[:6]]
            spot_pv[i] = np.median(call_mid[near] - put_mid[near] + strike[near] * np.exp(-RATE * t[near]))
    parts = []
    for side, quote_mid, suffix in (("call", call_mid, ""), ("put", put_mid, ".1")):
        bid, ask = chain["Bid" + suffix].to_numpy(), chain["Ask" + suffix].to_numpy()
        cboe_iv = chain["IV" + suffix].to_numpy(dtype=float)
        otm = strike >= last if side == "call" else strike <= last
        eligible = (bid > 0) & (ask > bid) & (days > 7) & (days <= 180) & otm & (cboe_iv > 0)
        ours = implied_vol(quote_mid, spot_pv, strike, t, RATE, 0.0, side == "call")
        parts.append(
            pd.DataFrame({"days": days, "side": side, "strike": strike, "ours": ours, "cboe": cboe_iv})[eligible]
        )
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize(("root", "min_rows"), [("SPY", 1_300), ("AMD", 350)])
def test_iv_from_mid_agrees_with_cboe(shared_data, root, min_rows):
    """Measured (2026-11-22): SPY 1,400 eligible contracts, median |ours - Cboe| 0.0008, 99.2 % within 0.005
    (worst 0.010, an 8-day put bid 0.04 ask 0.05); AMD 379 contracts, median 0.0013, 97.6 % within 0.005
    (worst 0.023, a 119-day far call quoted 0.23 x 0.48). Not all within 0.005: on options worth a few
    cents, or quoted wide, the mid is too coarse to pin the IV down that closely."""
    rows = compare(shared_data, root)
    assert len(rows) >= min_rows
    assert not rows["ours"].isna().any()
    diff = (rows["ours"] - rows["cboe"]).abs()
    assert diff.median() < 0.002
    assert (diff <= 0.005).mean() >= 0.95
