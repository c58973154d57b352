"""names ignore case: "Wheel TV" and "wheel tv" are one name for watchlists, scanners, templates, calendars,
strategies and (per owner) trading accounts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 02:00:00.000000

A database may already hold names that differ only by case; the unique indexes would refuse to build over them.
So the upgrade first renames every later row (higher id) of such a group to "<name> (2)", "<name> (3)", ... and
logs each rename. `watchlists` and `tv_watchlists` mirror each other by name, so a watchlist's rename is applied
to its TradingView list of the same name before that table's own duplicates are settled. The downgrade drops the
indexes and leaves the names as they are.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

# index name, table, owner column (names are unique within an owner) or None, name column
INDEXES = (
    ("uq_watchlists_name_lower", "watchlists", None, "name"),
    ("uq_tv_watchlists_name_lower", "tv_watchlists", None, "name"),
    ("uq_scanners_name_lower", "scanners", None, "name"),
    ("uq_scanner_templates_name_lower", "scanner_templates", None, "name"),
    ("uq_trading_hours_templates_name_lower", "trading_hours_templates", None, "name"),
    ("uq_strategies_name_lower", "strategies", None, "name"),
    ("uq_trading_accounts_user_name_lower", "trading_accounts", "user_id", "account_name"),
)
MAX_NAME = 100  # every one of these columns is VARCHAR(100)


def _renamed(name: str, taken: set[str]) -> str:
    """`name (n)` for the smallest n >= 2 whose lower case is not taken (cut so it fits the column)."""
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = name[: MAX_NAME - len(suffix)] + suffix
        if candidate.lower() not in taken:
            return candidate
        n += 1


def _settle(table: str, owner: str | None, column: str, renames: dict[str, str] | None = None) -> dict[str, str]:
    """Rename the later rows of every case-variant group in `table`; returns {old name: new name}.

    `renames` (old -> new) from a mirrored table is applied first, where it causes no new clash.
    """
    bind = op.get_bind()
    t = sa.table(table, sa.column("id"), sa.column(column), *([sa.column(owner)] if owner else []))
    owner_col = t.c[owner] if owner else sa.null()
    query = sa.select(t.c.id, owner_col.label("owner"), t.c[column].label("name")).order_by(t.c.id)
    rows = bind.execute(query).all()
    names = {row.id: (row.owner, row.name) for row in rows}
    for row_id, (row_owner, name) in list(names.items()):
        if renames and name in renames:
            new = renames[name]
            if all(o != row_owner or n.lower() != new.lower() for i, (o, n) in names.items() if i != row_id):
                names[row_id] = (row_owner, new)
    done: dict[str, str] = {}
    taken: dict[object, set[str]] = {}
    for row_id in sorted(names):
        row_owner, name = names[row_id]
        seen = taken.setdefault(row_owner, set())
        if name.lower() in seen:
            others = {n.lower() for i, (o, n) in names.items() if o == row_owner and i != row_id}
            new = _renamed(name, seen | others)
            names[row_id] = (row_owner, new)
            done[name] = new
            log.warning("%s %s: %r renamed to %r (names now ignore case)", table, row_id, name, new)
        seen.add(names[row_id][1].lower())
    for row in rows:
        if names[row.id][1] != row.name:
            bind.execute(sa.update(t).where(t.c.id == row.id).values({column: names[row.id][1]}))
    return done


def upgrade() -> None:
    renames = _settle("watchlists", None, "name")
    _settle("tv_watchlists", None, "name", renames)
    for _index, table, owner, column in INDEXES[2:]:
        _settle(table, owner, column)
    for index, table, owner, column in INDEXES:
        parts = [owner] if owner else []
        op.create_index(index, table, [*parts, sa.text(f"lower({column})")], unique=True)


def downgrade() -> None:
    for index, table, _owner, _column in reversed(INDEXES):
        op.drop_index(index, table_name=table)
