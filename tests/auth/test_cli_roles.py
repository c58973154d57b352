"""`--as USER` on the commands that write: a viewer is refused with the named error before anything is written;
without `--as` the local operator acts, as DESIGN section 8 has it, and the activity log says so."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.auth import LOCAL_OPERATOR
from core.auth.users import create_user
from core.db.models import ActivityLog, JobRun, ScannerTemplate, Stock, TradingAccount
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
        (["accounts", "add", "mine", "--broker", "schwab", "--owner", "vera"], "manage broker accounts"),
        (["accounts", "list"], "manage broker accounts"),
        (["accounts", "test", "main"], "manage broker accounts"),
        (["accounts", "sync", "--all"], "manage broker accounts"),
        (["accounts", "sync", "main", "--inline"], "manage broker accounts"),
        (["accounts", "import-positions", "main", "/nonexistent.csv"], "manage broker accounts"),
        (["accounts", "import-trades", "main", "/nonexistent.csv"], "manage broker accounts"),
        (["accounts", "remove", "main"], "manage broker accounts"),
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
    assert _count(committed_engine, TradingAccount) == 0


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


def _accounts(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(TradingAccount.account_name, TradingAccount.user_id).order_by(TradingAccount.id))
        return [tuple(r) for r in rows]


def test_a_trader_manages_only_their_own_broker_accounts(committed_engine, db_url):
    """CSV-import accounts (no host, so no key): `--as` a trader adds, lists, imports into and removes their own,
    and is refused anything of another user's with nothing written; rotating every key needs an admin."""
    for name in ("tom", "alice"):
        create_user(committed_engine, LOCAL_OPERATOR, name, PASSWORD, "trader")
    url = ("--database-url", db_url)
    assert run_cli("accounts", "add", "alices", "--broker", "schwab", "--owner", "alice", *url).returncode == 0
    assert (
        run_cli("accounts", "add", "toms", "--broker", "schwab", "--owner", "tom", "--as", "tom", *url).returncode == 0
    )
    before = (_accounts(committed_engine), _count(committed_engine, ActivityLog))
    refused = "error: tom (trader) cannot manage other users' broker accounts.\n"
    for command in (
        ["add", "more", "--broker", "schwab", "--owner", "alice"],
        ["list", "--owner", "alice"],
        ["remove", "alices", "--owner", "alice"],
        ["test", "alices", "--owner", "alice"],
        ["sync", "alices", "--owner", "alice"],
        ["import-positions", "alices", "/nonexistent.csv", "--owner", "alice"],
        ["import-trades", "alices", "/nonexistent.csv", "--owner", "alice"],
    ):
        result = run_cli("accounts", *command, "--as", "tom", *url)
        assert (result.returncode, result.stderr, result.stdout) == (1, refused, ""), command
    result = run_cli("accounts", "rotate-keys", "--as", "tom", *url)  # every user's keys: an admin's job
    assert result.stderr == refused.replace(".\n", ": that needs the admin role.\n")
    # without --owner a trader's NAME is their own account's: alice's is not found, let alone removed
    result = run_cli("accounts", "remove", "alices", "--as", "tom", *url)
    assert (result.returncode, result.stderr) == (1, "error: no account named 'alices' owned by 'tom'\n")
    assert (_accounts(committed_engine), _count(committed_engine, ActivityLog)) == before

    listed = run_cli("accounts", "list", "--format", "json", "--as", "tom", *url)
    assert [a["name"] for a in json.loads(listed.stdout)["accounts"]] == ["toms"]
    everyone = run_cli("accounts", "list", "--format", "json", *url)  # the local operator, an admin
    assert sorted(a["name"] for a in json.loads(everyone.stdout)["accounts"]) == ["alices", "toms"]
    assert run_cli("accounts", "remove", "toms", "--as", "tom", *url).returncode == 0
    assert [name for name, _ in _accounts(committed_engine)] == ["alices"]
    with committed_engine.connect() as conn:
        logged = conn.execute(
            select(ActivityLog.username, ActivityLog.action, ActivityLog.target)
            .where(ActivityLog.action.like("account%"))
            .order_by(ActivityLog.id)
        ).all()
    assert [tuple(r) for r in logged] == [
        ("local operator", "account_added", "account alices of alice"),
        ("tom", "account_added", "account toms of tom"),
        ("tom", "account_removed", "account toms of tom"),
    ]
