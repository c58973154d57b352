"""Broker transaction histories (Schwab, Fidelity, the generic layout) into an imported account's trades: read,
stored once (a natural key per row), refused as a whole with the file and line named, and the CLI in process."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from core.accounts import service
from core.accounts.errors import ImportFileError
from core.accounts.trades_import import import_trades, preview_trades
from core.auth import LOCAL_OPERATOR
from core.cli import main
from core.db.engine import unit_of_work
from core.db.models import ActivityLog, Trade

DATA = Path(__file__).parent / "data"
SCHWAB = DATA / "schwab_transactions.csv"


def test_a_schwab_history_is_read_oldest_first_with_events_fees_and_non_trades_skipped():
    preview = preview_trades(SCHWAB)
    assert preview.preset == "schwab"
    assert [(r.date, r.action, r.symbol, r.quantity, r.price, r.fees) for r in preview.rows] == [
        (dt.date(2026, 1, 5), "SELL", "AAPL 01/16/2026 150.00 P", 1, 3.00, 0.66),
        (dt.date(2026, 1, 16), "ASSIGNED", "AAPL 01/16/2026 150.00 P", 1, None, 0.0),  # "01/20/2026 as of 01/16"
        (dt.date(2026, 1, 16), "BUY", "AAPL", 100, 150.00, 0.0),  # a blank fee in a file with the column: none
        (dt.date(2026, 1, 21), "SELL", "AAPL 02/20/2026 155.00 C", 1, 2.00, 0.66),
        (dt.date(2026, 2, 20), "ASSIGNED", "AAPL 02/20/2026 155.00 C", 1, None, 0.0),
        (dt.date(2026, 2, 20), "SELL", "AAPL", 100, 155.00, 0.02),
    ]
    assert [why for _, why in preview.skipped] == [
        "Qualified Dividend: not a trade",
        "Credit Interest: not a trade",
        "MoneyLink Transfer: not a trade",
        "not a trade row (blank, title, total or footer)",  # "Transactions Total"
    ]
    assert len({r.key for r in preview.rows}) == 6


def test_a_fidelity_history_reads_its_sentences_and_adds_commission_to_fees():
    preview = preview_trades(DATA / "fidelity_history.csv")
    assert preview.preset == "fidelity"
    assert [(r.action, r.symbol, r.quantity, r.price, r.fees) for r in preview.rows] == [
        ("SELL", "-KO260116P60", 2, 1.10, 1.32),
        ("ASSIGNED", "-KO260116P60", 2, None, 0.0),
        ("BUY", "KO", 200, 60.0, 0.0),
        ("SELL", "-KO260220C62.5", 2, 0.85, 1.32),
        ("ASSIGNED", "-KO260220C62.5", 2, None, 0.0),
        ("SELL", "KO", 200, 62.5, 0.04),
    ]
    assert preview.skipped[0] == (10, "ELECTRONIC FUNDS TRANSFER RECEIVED (Cash): not a trade")


def test_the_generic_layout_without_a_fees_column_leaves_fees_unknown_and_takes_price_from_amount(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "date,action,symbol,quantity,amount\n"
        "2026-03-02,sell to open,XYZ  260320P00045000,2,250.00\n"  # no price: 250 / (2 x 100)
        "2026-03-20,expired,XYZ  260320P00045000,2,\n"
    )
    rows = preview_trades(path).rows
    assert [(r.action, r.price, r.fees) for r in rows] == [("SELL", 1.25, None), ("EXPIRED", None, None)]


def test_identical_rows_are_two_trades_and_keys_do_not_depend_on_the_spelling(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text(
        "date,action,symbol,quantity,price,fees\n"
        "2026-03-02,buy,XYZ,100,45.00,0\n"
        "2026-03-02,buy,XYZ,100,45.00,0\n"
        "2026-03-02,sell to open,XYZ  260320C00050000,1,1.00,0.65\n"
    )
    two = tmp_path / "two.csv"  # the same trades, the option in Schwab's spelling
    two.write_text(one.read_text().replace("XYZ  260320C00050000", "XYZ 03/20/2026 50.00 C"))
    keys = [r.key for r in preview_trades(one).rows]
    assert len(set(keys)) == 3 and keys == [r.key for r in preview_trades(two).rows]


def stored(engine, account_id) -> list[tuple]:
    with unit_of_work(engine) as session:
        rows = session.scalars(select(Trade).where(Trade.account_id == account_id).order_by(Trade.id))
        return [(r.id, r.import_key, r.action, r.symbol, r.quantity, r.fees, r.source) for r in rows]


@pytest.fixture
def ira(db, make_user):
    make_user()
    return service.add_account(db, LOCAL_OPERATOR, name="schwab-ira", broker="schwab", owner="alice")


def test_import_stores_the_trades_once(db, ira):
    first = service.import_account_trades(db, LOCAL_OPERATOR, "schwab-ira", SCHWAB)
    assert (first.added, first.already_stored) == (6, 0)
    rows = stored(db, ira.id)
    assert [r[2:] for r in rows][:3] == [
        ("SELL", "AAPL 01/16/2026 150.00 P", 1, 0.66, "import"),
        ("ASSIGNED", "AAPL 01/16/2026 150.00 P", 1, 0.0, "import"),
        ("BUY", "AAPL", 100, 0.0, "import"),
    ]
    again = service.import_account_trades(db, LOCAL_OPERATOR, "schwab-ira", SCHWAB)
    assert (again.added, again.already_stored) == (0, 6) and stored(db, ira.id) == rows


def test_an_overlapping_later_export_adds_only_its_new_rows(db, ira, tmp_path):
    lines = SCHWAB.read_text().splitlines()
    early = tmp_path / "early.csv"  # the header and the January rows only
    early.write_text("\n".join([lines[0], *[line for line in lines[1:] if line.startswith('"01/')]]) + "\n")
    assert import_trades(db, "schwab-ira", early).added == 4
    assert import_trades(db, "schwab-ira", SCHWAB).added == 2
    assert len(stored(db, ira.id)) == 6


def test_old_mac_line_endings_read_the_same(db, ira, tmp_path):
    mac = tmp_path / "mac.csv"
    mac.write_bytes(SCHWAB.read_bytes().replace(b"\n", b"\r"))
    assert [r.key for r in preview_trades(mac).rows] == [r.key for r in preview_trades(SCHWAB).rows]
    service.import_account_trades(db, LOCAL_OPERATOR, "schwab-ira", SCHWAB)
    assert service.import_account_trades(db, LOCAL_OPERATOR, "schwab-ira", mac).added == 0


def _generic_with_a_bad_date_on_line_17(tmp_path) -> Path:
    lines = ["date,action,symbol,quantity,price,fees"]
    lines += [f"2026-04-{day:02d},buy,XYZ,1,{40 + day}.00,0" for day in range(1, 16)]  # lines 2-16
    lines += ["2026-04-31,sell,XYZ,1,50.00,0", "2026-05-01,sell,XYZ,1,51.00,0"]  # line 17: no 31 April
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("pic.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "pic.csv: not a UTF-8 text file"),
        ("nul.csv", b"date,action,symbol,quantity\n2026-01-02,buy,\x00XYZ,1\n", "nul.csv:2: holds NUL bytes"),
        ("empty.csv", b"", "empty.csv: the file is empty"),
        (
            "positions.csv",
            (DATA / "schwab_positions.csv").read_bytes(),
            r"positions.csv:1: no header row with the columns date \(Date\), action \(Action\).*not a positions export",
        ),
        ("qty.csv", b"date,action,symbol,quantity,price\n2026-01-02,buy,XYZ,1.5,10\n", "qty.csv:2: quantity '1.5'"),
        ("px.csv", b"date,action,symbol,quantity,price\n2026-01-02,buy,XYZ,1,ten\n", "px.csv:2: price is not a number"),
        ("np.csv", b"date,action,symbol,quantity,price\n2026-01-02,buy,XYZ,1,\n", "np.csv:2: BUY of XYZ has no price"),
        ("ev.csv", b"date,action,symbol,quantity\n2026-01-02,expired,XYZ,1\n", "ev.csv:2: expired row of XYZ: not an"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_file_and_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message) as raised:
        preview_trades(path)
    assert "\n" not in str(raised.value)


def test_a_bad_date_on_line_17_stores_nothing_and_keeps_what_was_there(db, ira, tmp_path):
    service.import_account_trades(db, LOCAL_OPERATOR, "schwab-ira", SCHWAB)
    before = stored(db, ira.id)
    with pytest.raises(ImportFileError, match=r"^history.csv:17: date '2026-04-31' is not a date"):
        service.import_account_trades(db, LOCAL_OPERATOR, "schwab-ira", _generic_with_a_bad_date_on_line_17(tmp_path))
    assert stored(db, ira.id) == before  # none of lines 2-16 either: a file is all or nothing
    with unit_of_work(db) as session:
        logged = session.scalars(select(ActivityLog.action).where(ActivityLog.action == "trades_imported")).all()
    assert logged == ["trades_imported"]


def test_another_traders_account_is_refused(db, ira, make_user):
    from core.auth import Actor, PermissionDenied, Role

    otto = Actor(make_user("otto", role="trader"), "otto", Role.TRADER)
    with pytest.raises(PermissionDenied):
        service.import_account_trades(db, otto, "schwab-ira", SCHWAB, owner="alice")
    assert stored(db, ira.id) == []


@pytest.fixture
def cli(db_url, db, capsys, monkeypatch):
    def run(*args: str):
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        try:
            status = main([*args, "--database-url", db_url])
        except SystemExit as exit_:
            status = exit_.code
        out, err = capsys.readouterr()
        return status, out, err

    return run


def test_the_import_trades_command(cli, db, ira):
    status, out, _ = cli("accounts", "import-trades", "schwab-ira", str(SCHWAB), "--preview")
    assert status == 0 and "would import: 6 trades read (schwab layout; 4 rows skipped)" in out
    status, out, _ = cli("accounts", "import-trades", "schwab-ira", str(SCHWAB), "--preset", "schwab")
    assert status == 0 and "imported into schwab-ira: 6 trades read" in out and "6 new, 0 already stored" in out
    assert "ASSIGNED" in out and "fees 0.66" in out
    status, out, _ = cli("accounts", "import-trades", "schwab-ira", str(SCHWAB), "--format", "json")
    doc = json.loads(out)
    assert status == 0 and (doc["added"], doc["stored"], doc["preset"], len(doc["rows"])) == (0, True, "schwab", 6)
    assert doc["rows"][0]["date"] == "2026-01-05" and doc["rows"][0]["fees"] == 0.66
    status, out, err = cli("accounts", "import-trades", "schwab-ira", str(DATA / "schwab_positions.csv"))
    assert status == 1 and out == "" and "schwab_positions.csv:1: no header row" in err and err.count("\n") == 1
    status, _, err = cli("accounts", "import-trades", "nobody", str(SCHWAB))
    assert status == 1 and "nobody" in err
    assert len(stored(db, ira.id)) == 6


def test_a_sync_replaces_todays_synced_trades_but_never_the_imported_ones(
    db, make_user, openalgo, add_account, tmp_path
):
    from core.accounts.sync import sync_accounts
    from core.accounts.values import INDIA
    from core.clock import today_in_new_york

    make_user()
    account = add_account("primary", openalgo)
    days = sorted({today_in_new_york(), dt.datetime.now(INDIA).date()})  # the days a sync's tradebook covers
    path = tmp_path / "today.csv"
    path.write_text("date,action,symbol,quantity,price,fees\n" + "".join(f"{d},buy,XYZ,1,10.00,0\n" for d in days))
    import_trades(db, "primary", path)
    sync_accounts(db)
    sync_accounts(db)
    rows = stored(db, account.id)
    assert [r[6] for r in rows].count("import") == len(days)
    assert [r[6] for r in rows].count("openalgo") == len(openalgo.book.trades) > 0


def test_the_pages_upload_previews_what_is_new_then_imports_it(db, ira, make_user):
    from core.auth import Actor, PermissionDenied, Role

    data = SCHWAB.read_bytes()
    preview = service.preview_trades_upload(db, LOCAL_OPERATOR, ira.id, data, "history.csv")
    assert (preview.added, preview.already_stored, len(preview.preview.rows)) == (6, 0, 6)
    assert stored(db, ira.id) == []  # a preview stores nothing
    done = service.import_trades_upload(db, LOCAL_OPERATOR, ira.id, data, "history.csv", preset="schwab")
    assert (done.account, done.added) == ("schwab-ira", 6)
    again = service.preview_trades_upload(db, LOCAL_OPERATOR, ira.id, data, "history.csv")
    assert (again.added, again.already_stored) == (0, 6)
    otto = Actor(make_user("otto", role="trader"), "otto", Role.TRADER)
    with pytest.raises(PermissionDenied):
        service.preview_trades_upload(db, otto, ira.id, data, "history.csv")
    with pytest.raises(PermissionDenied):
        service.import_trades_upload(db, otto, ira.id, data, "history.csv")
    assert len(stored(db, ira.id)) == 6


def test_a_one_day_schwab_history_is_read_oldest_first_too(tmp_path):
    path = tmp_path / "day.csv"
    path.write_text(
        '"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"\n'
        '"03/02/2026","Buy to Close","XYZ 03/20/2026 45.00 P","PUT","1","$0.40","$0.66","-$40.66"\n'
        '"03/02/2026","Sell to Open","XYZ 03/20/2026 45.00 P","PUT","1","$1.25","$0.66","$124.34"\n'
    )
    assert [r.action for r in preview_trades(path).rows] == ["SELL", "BUY"]
