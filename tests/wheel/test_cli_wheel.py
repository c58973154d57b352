"""`python -m core premiums --holdings`, `positions`, `rolls` and `cycles` (DESIGN section 8), on both databases."""

from __future__ import annotations

import json

import pytest

from core.db.engine import unit_of_work
from tests import factories
from tests.support.cli import run_cli
from tests.wheel.conftest import CYCLES_AS_OF
from tests.wheel.market import AS_OF

POSITION_FIELDS = ("account", "underlying", "option_type", "strike", "expiration_date", "dte", "quantity",
                   "average_price", "mid", "pnl", "capture_pct", "status")  # fmt: skip


def _json(*args: str) -> dict:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_premiums_holdings_rows_gain_contracts_covered_and_cost_basis(wheel_db, db_url):
    doc = _json("premiums", "--holdings", "--account", "alice-main", "--delta", "any", "--as-of", str(AS_OF),
                "--format", "json", "--database-url", db_url)  # fmt: skip
    rows = {r["symbol"]: r for r in doc["rows"]}
    assert doc["strategy"] == "cc" and set(rows) == {"AAA", "CCC"}
    assert rows["AAA"]["contracts_covered"] == 2 and rows["AAA"]["cost_basis"] == pytest.approx(102.0)
    assert rows["CCC"]["contracts_covered"] == 1 and rows["CCC"]["cost_basis"] is None
    below = _json("premiums", "--holdings", "--never-below-cost", "--all-contracts", "--delta", "any", "--as-of",
                  str(AS_OF), "--format", "json", "--database-url", db_url)  # fmt: skip
    assert min(r["strike"] for r in below["rows"] if r["symbol"] == "AAA") == 105.0
    table = run_cli("premiums", "--holdings", "--delta", "any", "--as-of", str(AS_OF), "--database-url", db_url)
    assert "covers" in table.stdout and "cost" in table.stdout


def test_premiums_puts_sized_to_an_accounts_cash(wheel_db, db_url):
    doc = _json("premiums", "--account", "alice-main", "--affordable-only", "--delta", "any", "--all-contracts",
                "--as-of", str(AS_OF), "--format", "json", "--database-url", db_url)  # fmt: skip
    assert {r["symbol"] for r in doc["rows"]} == {"AAA", "BBB"}
    assert all(r["contracts_affordable"] == 10_500 // (r["strike"] * 100) for r in doc["rows"])


def test_bad_wheel_options_are_one_line_errors(wheel_db, db_url):
    for args, message in (
        (("premiums", "--holdings", "--strategy", "csp"), "--holdings screens covered calls"),
        (("premiums", "--never-below-cost"), "--never-below-cost goes with --holdings"),
        (("premiums", "--holdings", "--account", "nobody"), "no account named 'nobody'"),
        (("rolls", "abc"), "POSITION_ID: expected a whole number"),
        (("rolls", "999"), "no position with id 999"),
        (("positions", "--take-profit", "150"), "--take-profit"),
    ):
        result = run_cli(*args, "--database-url", db_url)
        assert result.returncode == 1 and message in result.stderr and result.stdout == "", (args, result.stderr)


def test_positions_and_rolls_as_json(wheel_db, db_url):
    doc = _json("positions", "--as-of", str(AS_OF), "--format", "json", "--database-url", db_url)
    (row,) = doc["positions"]
    assert set(POSITION_FIELDS) <= set(row)
    assert (row["ex_dividend_date"], row["ex_dividend_before_expiry"]) == (None, False)  # added, nothing renamed
    assert (row["account"], row["underlying"], row["option_type"], row["strike"], row["expiration_date"]) == (
        "alice-main",
        "AAA",
        "put",
        95.0,
        "2026-12-15",
    )
    assert row["status"] == "hold" and row["dte"] == 14 and row["quantity"] == -1
    rolls = _json("rolls", str(row["position_id"]), "--as-of", str(AS_OF), "--format", "json", "--database-url",
                  db_url)  # fmt: skip
    assert rolls["count"] == 4 and all(
        r["strike"] <= 95 and r["expiration_date"] > "2026-12-15" for r in rolls["rolls"]
    )
    assert {"net_credit", "new_breakeven", "flat_return"} <= set(rolls["rolls"][0])


def test_positions_under_roles(wheel_db, db_url):
    with unit_of_work(wheel_db, write=True) as session:
        factories.user(session, username="vera", role="viewer")
        factories.user(session, username="bob", role="trader")
    refused = run_cli("positions", "--as", "vera", "--database-url", db_url)
    assert refused.returncode != 0 and "manage broker accounts" in refused.stderr
    assert _json("positions", "--as", "bob", "--format", "json", "--database-url", db_url)["count"] == 0
    assert _json("positions", "--as", "alice", "--format", "json", "--database-url", db_url)["count"] == 1


def test_cycles_as_json(synced, db_url):
    doc = _json("cycles", "--account", "wheeler", "--as-of", str(CYCLES_AS_OF), "--format", "json", "--database-url",
                db_url)  # fmt: skip
    assert doc["count"] == 3 and doc["realized_pnl"] == pytest.approx(1_250.0)
    assert doc["cycles"][0]["annualized_return"] == pytest.approx(1_000 / 15_000 * 365 / 46 * 100, abs=1e-4)
    again = _json("cycles", "--account", "wheeler", "--as-of", str(CYCLES_AS_OF), "--format", "json",
                  "--database-url", db_url)  # fmt: skip
    assert again == doc
    assert "called away" in run_cli("cycles", "--as-of", str(CYCLES_AS_OF), "--database-url", db_url).stdout
