"""The sidecar's settings: SIDECAR_* and RETENTION_* fields of the one Settings, flags on top, bad values one line."""

from __future__ import annotations

import pytest

from core.config import get_settings
from core.jobs.settings import SidecarSettings
from core.sidecar import main


@pytest.fixture
def environment(monkeypatch):
    """Set variables for one test; the settings are read again before and after it."""

    def set_variables(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield set_variables
    get_settings.cache_clear()


def test_variables_become_the_sidecar_settings_and_flags_win(environment):
    environment(SIDECAR_POLL_SECONDS="", SIDECAR_LEASE_SECONDS="45", RETENTION_JOB_DAYS="12", SIDECAR_BATCH_SIZE="7")
    settings = SidecarSettings.from_settings(batch_size=3, poll_seconds=None)
    assert settings.poll_seconds == 2.0  # empty: the default, as if unset
    assert settings.lease.total_seconds() == 45 and settings.retention.job_days == 12
    assert settings.batch_size == 3  # --batch-size over SIDECAR_BATCH_SIZE
    assert settings.retention.history_days == 800


@pytest.mark.parametrize(
    ("name", "value"),
    [("SIDECAR_LEASE_SECONDS", "0"), ("SIDECAR_BATCH_SIZE", "ten"), ("RETENTION_HEARTBEAT_DAYS", "-1")],
)
def test_a_bad_value_stops_the_sidecar_with_one_line_naming_it(environment, capsys, name, value):
    environment(**{name: value})
    assert main(["--drain", "--database-url", "sqlite://"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: invalid configuration: ") and name in lines[0]
