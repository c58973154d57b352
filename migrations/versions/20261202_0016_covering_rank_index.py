"""idx_sp_rank covers the screen's rank stage: the rank inputs become index columns

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 08:00:00.000000

Issue 16, "the screen at 50 ms". `idx_sp_rank (option_type, expiration_date, symbol) WHERE quality_flag IS NULL`
gains strike_price, mid, underlying_price, delta, contract_size (migration 0015) and quality_flag as key columns (and, on PostgreSQL, the id as
an INCLUDE column; SQLite's index entries carry the rowid, which is the id). quality_flag is NULL in every entry of
this partial index, but SQLite counts an index as covering only when it holds every column the query names. The
rank stage of the Scan Premiums screen reads
nothing else, so it no longer visits the table: an index-only scan on PostgreSQL, a covering index on SQLite.
The index is replaced, not joined by a second one, so a sync still writes the same number of index entries per
contract (bench/screen_index.py measures both; docs/benchmarks.md). Rebuilding takes a few seconds per million
contracts and blocks writes to stock_premiums meanwhile (not reads); run it outside a Sync All.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RANKABLE = sa.text("quality_flag IS NULL")
_OLD = ["option_type", "expiration_date", "symbol"]
_NEW = [*_OLD, "strike_price", "mid", "underlying_price", "delta", "contract_size", "quality_flag"]


def upgrade() -> None:
    op.drop_index("idx_sp_rank", table_name="stock_premiums")
    op.create_index(
        "idx_sp_rank",
        "stock_premiums",
        _NEW,
        postgresql_include=["id"],
        postgresql_where=_RANKABLE,
        sqlite_where=_RANKABLE,
    )


def downgrade() -> None:
    op.drop_index("idx_sp_rank", table_name="stock_premiums")
    op.create_index("idx_sp_rank", "stock_premiums", _OLD, postgresql_where=_RANKABLE, sqlite_where=_RANKABLE)
