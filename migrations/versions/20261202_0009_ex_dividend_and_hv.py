"""stocks.ex_dividend_date and stock_data.hv20 / hv60: what a wheel trader checks beside the premium

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:10:00.000000

The next ex-dividend date comes from the provider's profile (the synthetic market and Yahoo supply it; csv
imports may not). Historical volatility over 20 and 60 trading days is computed at each sync from the stored
closes in `symbol_daily_history` (docs/maths.md) and kept beside iv_rank so the screen filters on a column.
Existing rows get them at the next sync.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stocks") as batch:
        batch.add_column(sa.Column("ex_dividend_date", sa.Date(), nullable=True))
    with op.batch_alter_table("stock_data") as batch:
        batch.add_column(sa.Column("hv20", sa.Float(), nullable=True))
        batch.add_column(sa.Column("hv60", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stock_data") as batch:
        batch.drop_column("hv60")
        batch.drop_column("hv20")
    with op.batch_alter_table("stocks") as batch:
        batch.drop_column("ex_dividend_date")
