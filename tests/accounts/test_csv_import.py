"""Broker CSV exports (Schwab, Fidelity, a custom mapping) into positions and holdings, marked as imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core.accounts import service
from core.accounts.csv_import import import_positions, preview_positions
from core.accounts.errors import ImportFileError
from core.auth import LOCAL_OPERATOR
from core.db.engine import unit_of_work
from core.db.models import Holding, Position

DATA = Path(__file__).parent / "data"


def by_symbol(preview):
    return {row.symbol: row for row in preview.rows}


def test_schwab_export_detected_options_are_positions_cash_and_totals_skipped():
    preview = preview_positions(DATA / "schwab_positions.csv")
    assert preview.preset == "schwab"
    rows = by_symbol(preview)
    assert set(rows) == {"AAPL", "SPY", "AAPL 01/19/2024 190.00 C"}
    call = rows["AAPL 01/19/2024 190.00 C"]
    assert (call.kind, call.quantity, call.last_price) == ("position", -2, 0.45)
    assert call.average_price == pytest.approx(1.55)  # $310 cost basis / (2 contracts x 100)
    aapl = rows["AAPL"]
    assert (aapl.kind, aapl.quantity, aapl.pnl, aapl.pnl_percent) == ("holding", 200, 6223.5, 20.74)
    assert aapl.average_price == pytest.approx(150.0625)
    assert [why for _, why in preview.skipped if "cash" in why]  # the cash and total lines, said why


def test_fidelity_export_detected_money_market_pending_and_footer_skipped():
    preview = preview_positions(DATA / "fidelity_positions.csv")
    assert preview.preset == "fidelity"
    rows = by_symbol(preview)
    assert set(rows) == {"MSFT", "KO", "-KO240119P57.5"}
    assert (rows["MSFT"].average_price, rows["MSFT"].last_price, rows["MSFT"].pnl) == (300.0, 367.75, 3387.5)
    put = rows["-KO240119P57.5"]
    assert (put.kind, put.quantity, put.average_price) == ("position", -1, 0.70)


def test_a_custom_mapping_over_the_generic_layout(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("Ticker,Shares,Avg Cost\nIBM,10,150.5\nIBM  240119C00160000,-1,2.10\n")
    preview = preview_positions(path, columns={"symbol": "Ticker", "quantity": "Shares", "average_price": "Avg Cost"})
    assert [(r.kind, r.symbol, r.quantity, r.average_price) for r in preview.rows] == [
        ("holding", "IBM", 10, 150.5),
        ("position", "IBM  240119C00160000", -1, 2.10),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Symbol,Quantity\nAAPL,100\nMSFT,lots\n", "broken.csv:3: quantity 'lots' of MSFT is not a whole number"),
        ("Symbol,Quantity,Price\nAAPL,100,$abc\n", "broken.csv:2: last price is not a number: '\\$abc'"),
        ("Name,Amount\nAAPL,100\n", "broken.csv:1: no header row with symbol"),
        ("", "broken.csv: the file is empty"),
        ("Symbol,Quantity\nAAPL,10.5\n", "broken.csv:2: quantity '10.5' of AAPL is not a whole number"),
    ],
)
def test_a_broken_file_is_one_line_naming_the_file_and_line(tmp_path, content, message):
    path = tmp_path / "broken.csv"
    path.write_text(content)
    with pytest.raises(ImportFileError, match=message) as raised:
        preview_positions(path)
    assert "\n" not in str(raised.value)


def test_a_file_with_several_broker_accounts_is_refused(tmp_path):
    text = (DATA / "fidelity_positions.csv").read_text().replace("Z12345678,Individual,KO,", "X999,Roth,KO,")
    path = tmp_path / "two.csv"
    path.write_text(text)
    with pytest.raises(ImportFileError, match="holds positions of 2 broker accounts"):
        preview_positions(path)


def test_an_unknown_preset(tmp_path):
    with pytest.raises(ImportFileError, match="unknown preset 'etrade'"):
        preview_positions(DATA / "schwab_positions.csv", preset="etrade")


def stored(engine, model, account_id):
    with unit_of_work(engine, write=False) as session:
        rows = session.scalars(select(model).where(model.account_id == account_id)).all()
        return {r.symbol: (r.id, r.quantity, r.source) for r in rows}


def test_import_stores_rows_marked_imported_and_reimport_replaces_them(db, make_user, tmp_path):
    make_user()
    account = service.add_account(db, LOCAL_OPERATOR, name="schwab-ira", broker="schwab", owner="alice")
    report = import_positions(db, "schwab-ira", DATA / "schwab_positions.csv")
    assert (report.positions, report.holdings) == (1, 2)
    holdings = stored(db, Holding, account.id)
    assert {s: v[1:] for s, v in holdings.items()} == {"AAPL": (200, "import"), "SPY": (10, "import")}
    assert stored(db, Position, account.id)["AAPL 01/19/2024 190.00 C"][1:] == (-2, "import")

    again = import_positions(db, "schwab-ira", DATA / "schwab_positions.csv")  # idempotent: same ids
    assert stored(db, Holding, account.id) == holdings and again.removed_holdings == 0

    smaller = tmp_path / "later.csv"
    lines = (DATA / "schwab_positions.csv").read_text().splitlines()
    smaller.write_text("\n".join(line for line in lines if not line.startswith('"SPY"')))
    later = import_positions(db, "schwab-ira", smaller)
    assert later.removed_holdings == 1 and set(stored(db, Holding, account.id)) == {"AAPL"}


def test_a_broken_file_changes_nothing_stored(db, make_user, tmp_path):
    make_user()
    account = service.add_account(db, LOCAL_OPERATOR, name="schwab-ira", broker="schwab", owner="alice")
    import_positions(db, "schwab-ira", DATA / "schwab_positions.csv")
    before = stored(db, Holding, account.id)
    broken = tmp_path / "broken.csv"
    broken.write_text("Symbol,Quantity\nAAPL,many\n")
    with pytest.raises(ImportFileError):
        import_positions(db, "schwab-ira", broken)
    assert stored(db, Holding, account.id) == before
