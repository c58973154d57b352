"""`python -m core lab create|configs|run` (DESIGN section 8): the contracts' fields, bad input as one error line,
roles through --as, on both databases."""

from __future__ import annotations

import json

from core.db.engine import unit_of_work
from core.premiums.filters import PremiumFilters
from core.premiums.saved_screens import save_screen
from tests import factories
from tests.support.cli import run_cli

TRADE_FIELDS = {"symbol", "option_type", "strike", "expiration_date", "opened_on", "contracts", "premium",
                "closed_on", "underlying_at_close", "outcome", "pnl"}  # fmt: skip


def _json(*args: str) -> dict:
    result = run_cli(*args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_create_list_and_run_inline(committed_engine, db_url):
    created = _json("lab", "create", "Wheel 30", "--dte", "20-40", "--delta", "0.2-0.3", "--capital", "250000",
                    "--per-day", "2", "--take-profit", "50", "--on-assignment", "sell",
                    "--database-url", db_url)  # fmt: skip
    assert created["rules"] == {"per_day": 2, "contracts": 1, "capital": 250000.0, "take_profit": 50.0,
                                "on_assignment": "sell"}  # fmt: skip
    assert created["filters"]["dte"] == [20, 40] and created["filters"]["delta"] == [0.2, 0.3]
    listed = _json("lab", "configs", "--database-url", db_url)
    assert listed["count"] == 1 and listed["configs"][0]["name"] == "Wheel 30"
    table = run_cli("lab", "configs", "--database-url", db_url)
    assert "Wheel 30" in table.stdout and "sell" in table.stdout

    doc = _json("lab", "run", "wheel 30", "--start", "2025-03-03", "--end", "2025-05-30", "--symbols",
                "AAPL,MSFT,KO,SPY", "--inline", "--database-url", db_url)  # fmt: skip
    assert doc["status"] == "completed" and doc["run_id"]
    assert doc["parameters"]["start"] == "2025-03-03" and doc["parameters"]["rules"]["take_profit"] == 50.0
    assert {"total_return_pct", "annualized_return_pct", "win_rate_pct", "max_drawdown_pct"} <= set(doc["summary"])
    assert {"total_return_pct", "max_drawdown_pct"} <= set(doc["buy_and_hold"])
    assert doc["trades"] and all(set(t) >= TRADE_FIELDS for t in doc["trades"])
    assert {t["outcome"] for t in doc["trades"]} <= {"expired", "assigned", "called_away", "closed"}

    queued = _json("lab", "run", "Wheel 30", "--start", "2025-03-03", "--end", "2025-05-30", "--symbols", "AAPL",
                   "--database-url", db_url)  # fmt: skip
    assert queued["status"] == "queued" and queued["job_run_id"]


def test_create_from_a_saved_screen_and_bad_input(committed_engine, db_url):
    with unit_of_work(committed_engine, write=True) as session:
        save_screen(session, "Tight", PremiumFilters(dte=(10, 20)))
    created = _json("lab", "create", "From screen", "--screen", "Tight", "--database-url", db_url)
    assert created["screen"] == "Tight" and created["filters"]["dte"] == [10, 20]
    for args, message in (
        (("lab", "create", "from SCREEN", "--screen", "Tight"), "already exists (names ignore case)"),
        (("lab", "create", "X", "--screen", "Missing"), "no saved screen named 'Missing'"),
        (("lab", "create", "X", "--take-profit", "120"), "take-profit"),
        (("lab", "create", "X", "--per-day", "two"), "--per-day: expected a whole number"),
        (("lab", "run", "Nope", "--start", "2025-01-02", "--end", "2025-02-01"), "no strategy config named 'Nope'"),
        (("lab", "run", "From screen", "--start", "2025-13-01", "--end", "2025-02-01"), "--start: expected a date"),
    ):
        result = run_cli(*args, "--database-url", db_url)
        assert result.returncode == 1 and message in result.stderr, (args, result.stderr)
    assert _json("lab", "configs", "--database-url", db_url)["count"] == 1  # nothing stored by the refusals


def test_roles(committed_engine, db_url):
    with unit_of_work(committed_engine, write=True) as session:
        factories.user(session, username="vera", role="viewer")
        factories.user(session, username="bob", role="trader")
    refused = run_cli("lab", "configs", "--as", "vera", "--database-url", db_url)
    assert refused.returncode != 0 and "needs the trader role" in refused.stderr
    assert _json("lab", "create", "Bob's", "--as", "bob", "--database-url", db_url)["name"] == "Bob's"
    assert _json("lab", "configs", "--as", "bob", "--database-url", db_url)["count"] == 1
