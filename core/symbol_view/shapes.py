"""The symbol page's figures as plain frames, from a symbol's stored chains (pure pandas, no database).

- smile: the out-of-the-money wing of each side of one expiry -- puts below the spot, calls above it -- the
  contracts a wheel trader sells, and the ones whose quotes are liquid enough to read a skew from;
- term structure: the at-the-money IV of each expiry: the mean IV of the put and the call at the strike nearest
  the spot (whichever of the two has a rankable quote), with the one-sigma expected move to that expiry,
  spot x IV x sqrt(DTE / 365) (DESIGN section 4).
Only rankable rows count (no quality flag, an IV solved from a tradable mid).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def _rankable(chain: pd.DataFrame) -> pd.DataFrame:
    return chain[chain["quality_flag"].isna() & chain["iv"].notna()]


def otm_wings(chain: pd.DataFrame, spot: float) -> pd.DataFrame:
    """strike, option_type, iv of the rankable puts struck below `spot` and calls struck above it, by strike.

    >>> chain = pd.DataFrame({"option_type": ["put", "put", "call", "call"], "strike": [90.0, 110.0, 90.0, 110.0],
    ...                       "iv": [0.32, 0.25, 0.24, 0.22], "quality_flag": [None] * 4})
    >>> otm_wings(chain, 100.0).to_dict("list")
    {'strike': [90.0, 110.0], 'option_type': ['put', 'call'], 'iv': [0.32, 0.22]}
    """
    rows = _rankable(chain)
    otm = ((rows["option_type"] == "put") & (rows["strike"] < spot)) | (
        (rows["option_type"] == "call") & (rows["strike"] > spot)
    )
    return rows.loc[otm, ["strike", "option_type", "iv"]].sort_values("strike").reset_index(drop=True)


def atm_iv(chain: pd.DataFrame, spot: float) -> float | None:
    """The mean IV of the rankable put and call at the strike nearest `spot` (None without one).

    >>> chain = pd.DataFrame({"option_type": ["put", "call", "put"], "strike": [100.0, 100.0, 95.0],
    ...                       "iv": [0.30, 0.26, 0.35], "quality_flag": [None] * 3})
    >>> round(atm_iv(chain, 101.0), 4)
    0.28
    """
    rows = _rankable(chain)
    if rows.empty:
        return None
    distance = (rows["strike"] - spot).abs()
    return float(rows.loc[distance == distance.min(), "iv"].mean())


def term_structure(chains: dict, spot: float, dtes: dict) -> pd.DataFrame:
    """expiration_date, dte, atm_iv (a fraction), expected_move ($) and expected_move_pct for each expiry.

    >>> import datetime as dt
    >>> day = dt.date(2026, 4, 17)
    >>> chain = pd.DataFrame({"option_type": ["put", "call"], "strike": [100.0, 100.0], "iv": [0.3, 0.3],
    ...                       "quality_flag": [None, None]})
    >>> term_structure({day: chain}, 100.0, {day: 73}).round(4).to_dict("records")[0]["expected_move"]
    13.4164
    """
    rows = []
    for expiry, chain in sorted(chains.items()):
        iv, dte = atm_iv(chain, spot), dtes[expiry]
        move = spot * iv * math.sqrt(dte / 365.0) if iv is not None and dte > 0 else np.nan
        rows.append(
            {
                "expiration_date": expiry,
                "dte": dte,
                "atm_iv": np.nan if iv is None else iv,
                "expected_move": move,
                "expected_move_pct": move / spot * 100.0 if spot else np.nan,
            }
        )
    columns = ["expiration_date", "dte", "atm_iv", "expected_move", "expected_move_pct"]
    return pd.DataFrame(rows, columns=columns)
