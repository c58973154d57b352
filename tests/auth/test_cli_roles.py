"""`--as USER` on the commands that write: a viewer is refused with the named error before anything is written;
without `--as` the local operator acts, as DESIGN section 8 has it, and the activity log says so."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.auth import LOCAL_OPERATOR
from core.auth.users import create_user
from core.db.models import ActivityLog, JobRun, ScannerTemplate, Stock
from tests.auth.conftest import PASSWORD
from tests.support.cli import run_cli

VIEWER_REFUSED = "error: vera (viewer) cannot {}: that needs the trader role."


def _count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize(
    ("command", "refusal"),
    [
        (["demo", "--symbols", "5"], "change watchlists"),
        (["import-chains", "/nonexistent"], "start a sync"),
        (["sync", "--all"], "start a sync"),
        (["scanner", "seed-templates"], "manage or run scanners"),
        (["scanner", "run", "-", "--symbols", "AAPL"], "manage or run scanners"),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else None,
)
def test_a_viewer_named_by_as_is_refused_and_nothing_is_written(committed_engine, db_url, command, refusal):
    create_user(committed_engine, LOCAL_OPERATOR, "vera", PASSWORD, "viewer")
    before = _count(committed_engine, ActivityLog)
    result = run_cli(*command, "--as", "vera", "--database-url", db_url, stdin="signal = True\n")
    assert (result.returncode, result.stderr) == (1, VIEWER_REFUSED.format(refusal) + "\n")
    assert result.stdout == ""
    assert _count(committed_engine, ActivityLog) == before
    assert _count(committed_engine, JobRun) == _count(committed_engine, Stock) == 0


def test_the_operator_and_a_trader_are_logged_by_name(committed_engine, db_url):
    create_user(committed_engine, LOCAL_OPERATOR, "tom", PASSWORD, "trader")
    assert run_cli("scanner", "seed-templates", "--database-url", db_url).returncode == 0
    assert run_cli("scanner", "seed-templates", "--as", "TOM", "--database-url", db_url).returncode == 0
    assert _count(committed_engine, ScannerTemplate) > 0
    with committed_engine.connect() as conn:
        logged = conn.execute(
            select(ActivityLog.username, ActivityLog.user_id.is_not(None), ActivityLog.action)
            .where(ActivityLog.action == "templates_seed")
            .order_by(ActivityLog.id)
        ).all()
    assert [tuple(r) for r in logged] == [("local operator", False, "templates_seed"), ("tom", True, "templates_seed")]
