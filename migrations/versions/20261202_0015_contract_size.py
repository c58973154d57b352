"""Contract size (lot size) per contract and per stock

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 07:30:00.000000

Issue 16. DESIGN section 4: premium = mid x contract size (100 for US equity options; the lot size where a market
has one). `stock_premiums.contract_size` is the size of that contract as its provider listed it (lot sizes are
revised per expiry on exchanges such as NSE, so it belongs to the contract); `stocks.contract_size` is the
symbol's current size (its nearest expiry's at the last sync), which the wheel uses for positions and holdings.
Both default to 100, so every row stored before this migration keeps meaning what it meant.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD/DROP COLUMN (no batch mode): SQLite adds a NOT NULL column with a constant default natively, and
# rebuilding stock_premiums (a million rows) in batch mode would be slow and would have to re-create its indexes.
def upgrade() -> None:
    for table in ("stock_premiums", "stocks"):
        op.add_column(table, sa.Column("contract_size", sa.Integer(), nullable=False, server_default=sa.text("100")))


def downgrade() -> None:
    for table in ("stocks", "stock_premiums"):
        op.drop_column(table, "contract_size")
