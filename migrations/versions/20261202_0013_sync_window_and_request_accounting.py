"""The expiry window a symbol was synced with, a watchlist's window, and each sync item's request accounting

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:30:00.000000

Issue 16. `stock_data.sync_max_dte` is the window (in days; 0 = every listed expiry) of the symbol's last sync,
NULL for symbols synced before windows existed. `watchlists.sync_max_dte` overrides SYNC_MAX_DTE for syncs of
that watchlist. Each job item records what fetching it cost: HTTP requests, retries, 429s, bytes, and the
seconds spent waiting for the rate limiter versus on the network (NULL for items that fetched nothing).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ITEM_COLUMNS = (
    ("requests", sa.Integer()),
    ("retries", sa.Integer()),
    ("rate_limited", sa.Integer()),
    ("bytes_received", sa.BigInteger()),
    ("wait_seconds", sa.Float()),
    ("network_seconds", sa.Float()),
)


# Plain ADD/DROP COLUMN, not batch mode: SQLite does both natively, and rebuilding `watchlists` in batch mode
# would drop its expression index on lower(name) (migration 0008), which batch mode cannot reflect.
def upgrade() -> None:
    op.add_column("stock_data", sa.Column("sync_max_dte", sa.Integer(), nullable=True))
    op.add_column("watchlists", sa.Column("sync_max_dte", sa.Integer(), nullable=True))
    for name, type_ in _ITEM_COLUMNS:
        op.add_column("job_items", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(_ITEM_COLUMNS):
        op.drop_column("job_items", name)
    op.drop_column("watchlists", "sync_max_dte")
    op.drop_column("stock_data", "sync_max_dte")
