"""The recorded SPY data the track record's tests (and the History page's) share."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture
def spy_folder(shared_data, tmp_path):
    return copy_spy_folder(shared_data, tmp_path)


def copy_spy_folder(shared_data, tmp_path):
    """A csv-provider folder: Cboe's SPY chain after the close of 2023-09-14 and SPY's daily bars from 2023-10-03."""
    shutil.copy(shared_data / "options/cboe_quotedata/SPY_quotedata_2023-09-14.csv", tmp_path)
    (tmp_path / "ohlcv").mkdir()
    shutil.copy(shared_data / "ohlcv/SPY_daily_2023-10-03_2024-10-01_ydownload.csv", tmp_path / "ohlcv/SPY.csv")
    return tmp_path
