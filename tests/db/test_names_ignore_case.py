"""Every named thing refuses a name that differs from one it holds only by case ("Wheel TV" / "wheel tv").

The walk covers every table with a `name` (or `<thing>_name`) column, so the next named table is caught: it gets
a case-insensitive unique index (see migration 0008) or a reason here why it does not.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from core.db.models import Base

# table -> why its name may repeat
NOT_NAMES = {
    "stocks": "a company's name from the provider; the symbol is the key",
    "system_health_status": "a service's key in a time series of readings, one row per reading",
    "scan_sessions": "the tracked saved screen a session ran: one session per screen and quote date",
}
# table -> columns a name is unique within (besides the name itself)
OWNERS = {"trading_accounts": ("user_id",)}


def _named_tables() -> list[tuple[sa.Table, str]]:
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if (column.name == "name" or column.name.endswith("_name")) and table.name not in NOT_NAMES:
                found.append((table, column.name))
    return found


NAMED = _named_tables()


def _value(column: sa.Column, n: int):
    python_type = column.type.python_type
    if python_type is bool:
        return True
    if python_type is int:
        return n
    if python_type is float:
        return 1.0
    if python_type is dt.datetime:
        return dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    if python_type is dt.date:
        return dt.date(2026, 1, 1)
    if python_type in (dict, list):
        return {}
    return f"x{n}"


def _insert(conn, table: sa.Table, values: dict, n: int = 1) -> dict:
    """Insert a row of `table` with `values` and a dummy for every other required column (parents created)."""
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None or column.default is not None:
            continue
        if column.primary_key and column.autoincrement in (True, "auto") and column.type.python_type is int:
            continue
        if column.foreign_keys:
            target = next(iter(column.foreign_keys)).column
            row[column.name] = _insert(conn, target.table, {}, n)[target.name]
        else:
            row[column.name] = _value(column, n)
    if "role" in table.c and "role" not in row:
        row["role"] = "trader"
    result = conn.execute(sa.insert(table).values(row).returning(*table.primary_key.columns))
    return {**row, **result.one()._asdict()}


def test_every_named_table_has_a_case_insensitive_unique_index():
    assert {t.name for t, _ in NAMED} >= {"watchlists", "tv_watchlists", "scanners", "trading_accounts"}
    for table, column in NAMED:
        lowered = [
            index
            for index in table.indexes
            if index.unique and any(f"lower({table.name}.{column})" in str(e) for e in index.expressions)
        ]
        assert lowered, f"{table.name}.{column} has no unique index on lower({column})"


@pytest.mark.parametrize(("table", "column"), NAMED, ids=[f"{t.name}.{c}" for t, c in NAMED])
def test_a_case_variant_is_refused(committed_engine, table, column):
    with committed_engine.begin() as conn:
        first = _insert(conn, table, {column: "Wheel TV"})
    shared = {owner: first[owner] for owner in OWNERS.get(table.name, ())}
    with pytest.raises(IntegrityError), committed_engine.begin() as conn:
        _insert(conn, table, {**shared, column: "wheel tv"}, n=2)
    with committed_engine.begin() as conn:  # a different name is fine
        _insert(conn, table, {**shared, column: "Wheel TV 2"}, n=3)
