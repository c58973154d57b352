"""`python -m core track-record`: marking a screen tracked, the per-screen figures as one JSON document with the
contract's keys, and one error line for an unknown screen or a refused role."""

from __future__ import annotations

import json

from core.auth.users import create_user
from core.premiums import service as premiums
from core.premiums.filters import PremiumFilters
from core.track.record import record_after_sync
from core.track.resolve import resolve_due
from tests.support.actors import ADMIN
from tests.support.cli import run_cli
from tests.support.track import QUOTED, SPY_PUTS, sync_all

CONTRACT_KEYS = {
    "screen",
    "opportunities",
    "resolved",
    "win_rate",
    "mean_realized_annualized",
    "mean_promised_annualized",
    "worst_pnl",
}


def _cli(url, *args):
    return run_cli("track-record", "--database-url", url, *args)


def test_track_then_report_as_json(committed_engine, db_url, spy_folder):
    premiums.save_screen(committed_engine, ADMIN, "spy puts", SPY_PUTS)
    result = _cli(db_url, "--track", "spy puts")
    assert result.returncode == 0 and "is tracked" in result.stdout
    sync_all(committed_engine, ["SPY"], provider="csv", source=str(spy_folder), as_of=QUOTED)
    record_after_sync(committed_engine)
    resolve_due(committed_engine)
    result = _cli(db_url, "--format", "json")
    assert result.returncode == 0, result.stderr
    [screen] = json.loads(result.stdout)["screens"]
    assert set(screen) >= CONTRACT_KEYS
    assert screen["screen"] == "spy puts" and screen["tracked"] is True
    assert 0 < screen["resolved"] < screen["opportunities"]
    assert screen["worst_pnl"] < 0 and 0 <= screen["win_rate"] <= 1
    again = json.loads(_cli(db_url, "--screen", "spy puts", "--format", "json").stdout)["screens"]
    assert again == [screen]


def test_unknown_screen_is_one_error_line(committed_engine, db_url):
    result = _cli(db_url, "--screen", "nope")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == "error: no tracked screen named 'nope' and no record of one"
    result = _cli(db_url, "--track", "nope")
    assert result.returncode == 1 and "no saved screen named 'nope'" in result.stderr


def test_a_viewer_reads_but_may_not_track(committed_engine, db_url):
    premiums.save_screen(committed_engine, ADMIN, "weekly", PremiumFilters())
    create_user(committed_engine, ADMIN, "vera", "correct horse battery staple", "viewer")
    assert _cli(db_url, "--as", "vera", "--format", "json").returncode == 0
    result = _cli(db_url, "--as", "vera", "--track", "weekly")
    assert result.returncode == 1 and "cannot" in result.stderr
