"""The dashboard's figures, built from frames as the pages pass them."""

from __future__ import annotations

import pandas as pd

from ui.charts import run_durations_figure


def _runs(*finished: str) -> pd.DataFrame:
    stamps = pd.to_datetime(list(finished), utc=True)
    return pd.DataFrame(
        {"finished_at": stamps, "duration_s": [12.5] * len(stamps), "scope": ["sync:all"] * len(stamps)}
    )


def test_one_sync_run_gets_an_axis_of_an_hour_not_of_milliseconds():
    low, high = (pd.Timestamp(v) for v in run_durations_figure(_runs("2026-12-02 07:00")).layout.xaxis.range)
    assert high - low == pd.Timedelta(hours=1)


def test_many_runs_keep_their_span_with_a_margin():
    figure = run_durations_figure(_runs("2026-11-01 07:00", "2026-12-01 07:00"))
    low, high = (pd.Timestamp(v) for v in figure.layout.xaxis.range)
    assert low < pd.Timestamp("2026-11-01 07:00", tz="UTC") and high > pd.Timestamp("2026-12-01 07:00", tz="UTC")
    assert (high - low) == pd.Timedelta(days=30) * 1.1


def test_no_finished_run_draws_an_empty_figure():
    figure = run_durations_figure(_runs()[0:0])
    assert figure.layout.xaxis.range is None and len(figure.data[0].x) == 0
