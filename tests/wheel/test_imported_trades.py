"""Wheel cycles of an account that takes CSV imports only, from its broker's transaction history: the cycle P&L
worked out by hand with fees, the same after a second import and a re-derivation; and how the walk reads a
history's ASSIGNED / EXPIRED rows and fees that are known, partial or unknown."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from core.accounts import service as accounts
from core.auth import LOCAL_OPERATOR
from core.wheel import service
from core.wheel.cycles import Fill, derive_cycles

DATA = Path(__file__).parents[1] / "accounts" / "data"
AS_OF = dt.date(2026, 12, 1)


@pytest.fixture
def ira(db, make_user):
    make_user("ivy", role="trader")
    accounts.add_account(db, LOCAL_OPERATOR, name="ivy-ira", broker="schwab", owner="ivy")
    return db


def test_a_schwab_history_yields_the_cycle_pnl_worked_out_by_hand(ira):
    accounts.import_account_trades(ira, LOCAL_OPERATOR, "ivy-ira", DATA / "schwab_transactions.csv")
    (cycle,) = service.cycles(ira, LOCAL_OPERATOR, account="ivy-ira", as_of=AS_OF)
    assert [(leg.date, leg.kind, leg.quantity, leg.price, leg.fees) for leg in cycle.legs] == [
        (dt.date(2026, 1, 5), "put sold", 100, 3.00, 0.66),
        (dt.date(2026, 1, 16), "assigned", 100, 150.00, 0.0),  # the ASSIGNED row and the share purchase: one leg
        (dt.date(2026, 1, 21), "call sold", 100, 2.00, 0.66),
        (dt.date(2026, 2, 20), "called away", 100, 155.00, 0.02),
    ]
    premiums = 3.00 * 100 + 2.00 * 100  # 500
    shares = 155.00 * 100 - 150.00 * 100  # 500
    fees = 0.66 + 0.66 + 0.02  # 1.34; the two ASSIGNED rows and the share purchase charged none
    assert cycle.premiums == pytest.approx(premiums) and cycle.fees == pytest.approx(fees)
    assert cycle.fees_status == "complete"
    assert cycle.realized_pnl == pytest.approx(premiums + shares - fees)  # 998.66
    assert cycle.cost_basis == pytest.approx((15_000 - premiums + fees) / 100)  # 145.0134
    assert (cycle.capital, cycle.days, cycle.outcome) == (15_000.0, 46, "called away")
    assert cycle.annualized_return == pytest.approx(998.66 / 15_000 * 365 / 46 * 100)
    frame = service.cycles_frame([cycle])
    assert frame.loc[0, "fees"] == pytest.approx(1.34) and frame.loc[0, "fees_status"] == "complete"


def test_importing_twice_and_re_deriving_change_nothing(ira):
    accounts.import_account_trades(ira, LOCAL_OPERATOR, "ivy-ira", DATA / "schwab_transactions.csv")
    first = [c.to_json() for c in service.cycles(ira, LOCAL_OPERATOR, account="ivy-ira", as_of=AS_OF)]
    again = accounts.import_account_trades(ira, LOCAL_OPERATOR, "ivy-ira", DATA / "schwab_transactions.csv")
    assert again.added == 0
    assert [c.to_json() for c in service.cycles(ira, LOCAL_OPERATOR, account="ivy-ira", as_of=AS_OF)] == first
    assert first[0]["realized_pnl"] == 998.66 and first[0]["fees"] == 1.34


def test_a_fidelity_history_of_two_contracts(ira):
    accounts.import_account_trades(ira, LOCAL_OPERATOR, "ivy-ira", DATA / "fidelity_history.csv")
    (cycle,) = service.cycles(ira, LOCAL_OPERATOR, account="ivy-ira", as_of=AS_OF)
    assert [leg.kind for leg in cycle.legs] == ["put sold", "assigned", "call sold", "called away"]
    premiums = 1.10 * 200 + 0.85 * 200  # 390: two contracts of 100 shares each time
    assert cycle.premiums == pytest.approx(premiums) and cycle.shares_bought == 200
    assert cycle.realized_pnl == pytest.approx(premiums + (62.5 - 60.0) * 200 - (1.32 + 1.32 + 0.04))  # 887.32


def _fill(day: int, action: str, symbol: str, quantity: int, price: float, fees: float | None) -> Fill:
    when = dt.datetime(2026, 6, day, tzinfo=dt.UTC)
    return Fill("acct", symbol, action, quantity, price, when, when.date(), fees)


PUT = "XYZ  260612P00050000"  # expires Friday 12 June
CALL = "XYZ  260626C00052000"


def test_the_share_trade_may_come_before_or_after_the_assigned_row_or_not_at_all():
    sold = _fill(1, "SELL", PUT, 100, 1.00, 0.65)
    event = _fill(15, "ASSIGNED", PUT, 100, 0.0, 0.0)  # posted the Monday after expiry
    shares = _fill(15, "BUY", "XYZ", 100, 50.0, 0.10)
    for order in ([sold, event, shares], [sold, shares, event]):
        (cycle,) = derive_cycles(order, AS_OF)
        assert [(leg.kind, leg.amount) for leg in cycle.legs] == [("put sold", 100.0), ("assigned", -5_000.0)]
        assert cycle.fees == pytest.approx(0.75) and cycle.shares_bought == 100 and cycle.status == "open"
    (alone,) = derive_cycles([sold, event], AS_OF)  # a history without the share row: shares at the strike
    assert alone.share_cost == 5_000.0 and alone.fees == pytest.approx(0.65)


def test_a_call_sold_the_day_the_put_is_reported_assigned_follows_the_assignment_not_an_expiry():
    (cycle,) = derive_cycles(
        [
            _fill(1, "SELL", PUT, 100, 1.00, 0.65),
            _fill(15, "SELL", CALL, 100, 0.80, 0.65),  # the call, the same day, before the rows in the file
            _fill(15, "ASSIGNED", PUT, 100, 0.0, 0.0),
            _fill(15, "BUY", "XYZ", 100, 50.0, 0.0),
        ],
        AS_OF,
    )
    assert [leg.kind for leg in cycle.legs] == ["put sold", "assigned", "call sold", "expired"]  # the call by AS_OF
    assert cycle.shares_bought == 100 and cycle.status == "open"  # the shares are still held


def test_an_expired_row_ends_the_leg_and_adds_its_fees():
    (cycle,) = derive_cycles([_fill(1, "SELL", PUT, 100, 1.00, 0.65), _fill(15, "EXPIRED", PUT, 100, 0.0, 0.0)], AS_OF)
    assert [(leg.date, leg.kind) for leg in cycle.legs] == [(dt.date(2026, 6, 1), "put sold"),
                                                            (dt.date(2026, 6, 12), "expired")]  # fmt: skip
    assert cycle.status == "closed" and cycle.realized_pnl == pytest.approx(100 - 0.65)


def test_fees_known_partial_or_unknown():
    known = [_fill(1, "SELL", PUT, 100, 1.00, 0.65), _fill(15, "EXPIRED", PUT, 100, 0.0, 0.0)]
    partial = [_fill(1, "SELL", PUT, 100, 1.00, 0.65), _fill(5, "BUY", PUT, 100, 0.40, None)]
    unknown = [_fill(1, "SELL", PUT, 100, 1.00, None), _fill(5, "BUY", PUT, 100, 0.40, None)]
    (a,), (b,), (c,) = (derive_cycles(fills, AS_OF) for fills in (known, partial, unknown))
    assert (a.fees_status, a.fees, a.realized_pnl) == ("complete", 0.65, pytest.approx(99.35))
    assert (b.fees_status, b.fees, b.realized_pnl) == ("partial", 0.65, pytest.approx(60 - 0.65))
    assert (c.fees_status, c.fees, c.realized_pnl) == ("unknown", None, pytest.approx(60.0))
    assert c.to_json()["fees"] is None and c.to_json()["fees_status"] == "unknown"


def test_the_commands_import_the_history_and_show_its_cycle_with_fees(ira, db_url, capsys):
    from core.cli import main

    history = str(DATA / "schwab_transactions.csv")
    assert main(["accounts", "import-trades", "ivy-ira", history, "--database-url", db_url]) == 0
    assert "6 new, 0 already stored" in capsys.readouterr().out
    assert main(["cycles", "--account", "ivy-ira", "--as-of", str(AS_OF), "--format", "json",
                 "--database-url", db_url]) == 0  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    (cycle,) = doc["cycles"]
    assert (cycle["premiums"], cycle["fees"], cycle["fees_status"], cycle["realized_pnl"]) == (
        500.0,
        1.34,
        "complete",
        998.66,
    )
    assert doc["realized_pnl"] == 998.66 and [leg["fees"] for leg in cycle["legs"]] == [0.66, 0.0, 0.66, 0.02]
    assert main(["cycles", "--account", "ivy-ira", "--as-of", str(AS_OF), "--database-url", db_url]) == 0
    table = capsys.readouterr().out
    assert "fees known" in table and "1.34" in table and "complete" in table and "998.66" in table
