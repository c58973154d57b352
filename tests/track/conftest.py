"""The recorded SPY folder the track record's tests share."""

from __future__ import annotations

import pytest

from tests.support.track import copy_spy_folder


@pytest.fixture
def spy_folder(shared_data, tmp_path):
    return copy_spy_folder(shared_data, tmp_path)
