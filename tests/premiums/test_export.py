"""The CSV export's one column definition: every screen column, the table's units, cents and 4 decimals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.premiums.export import EXPORT_COLUMNS, HEADINGS, export_frame
from core.premiums.query import COLUMNS


def test_the_export_covers_every_screen_column_in_order():
    assert tuple(name for name, _, _ in EXPORT_COLUMNS) == COLUMNS
    assert len(set(HEADINGS)) == len(HEADINGS)


def test_units_and_rounding():
    frame = pd.DataFrame(
        {
            "symbol": ["ABC", "XYZ"],
            "contract_symbol": ["ABC260417P00095000", None],
            "expiration_date": [dt.date(2026, 4, 17), dt.date(2026, 4, 17)],
            "dte": pd.array([32, 32], dtype="Int64"),
            "strike": [95.0, 100.0],
            "premium": [0.1 + 0.2, 123.456789],  # float noise, and a fraction of a cent
            "iv": [0.352, np.nan],
            "prob_otm": [0.71234567, 0.5],
            "annualized_return": [12.345678901, -1.0],
            "volume": pd.array([10, None], dtype="Int64"),
            "quote_time": pd.DatetimeIndex(["2026-03-13 20:59", "2026-03-13 20:59"]).tz_localize("UTC"),
        }
    )
    out = export_frame(frame)
    assert list(out.columns) == [
        "symbol",
        "contract_symbol",
        "expiration_date",
        "dte",
        "strike",
        "premium",
        "iv_pct",
        "volume",
        "annualized_return",
        "prob_otm_pct",
        "quote_time",
    ]
    first, second = out.iloc[0].to_dict(), out.iloc[1].to_dict()
    assert first["premium"] == 0.3 and second["premium"] == 123.46
    assert first["iv_pct"] == 35.2 and second["iv_pct"] is None
    assert first["prob_otm_pct"] == 71.2346 and first["annualized_return"] == 12.3457
    assert first["volume"] == 10 and second["volume"] is None and second["contract_symbol"] is None
    assert first["expiration_date"] == "2026-04-17" and first["quote_time"] == "2026-03-13T20:59:00+00:00"
    assert out.to_csv(index=False).splitlines()[2].startswith("XYZ,,2026-04-17,32,100.0,123.46,,,")
