"""Fees per trade, and trades imported from a broker's CSV transaction history

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 08:00:00.000000

Issue 14 (the wheel). `trades.fees` is what the broker charged for a fill (commissions and fees), NULL when not
reported (OpenAlgo's tradebook reports none; rows stored before this migration stay NULL: unknown, not 0).
`trades.source` says where a trade came from ('openalgo', the default for existing rows, or 'import');
`trades.import_key` is an imported row's natural key, unique per account (NULL for synced rows: NULLs never
clash on either backend), so importing one file twice adds nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD/DROP COLUMN and a separate unique index, not batch mode: SQLite does these natively.
def upgrade() -> None:
    op.add_column("trades", sa.Column("fees", sa.Float(), nullable=True))
    op.add_column(
        "trades", sa.Column("source", sa.String(length=10), server_default=sa.text("'openalgo'"), nullable=False)
    )
    op.add_column("trades", sa.Column("import_key", sa.String(length=64), nullable=True))
    op.create_index("uq_trades_account_import_key", "trades", ["account_id", "import_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_trades_account_import_key", table_name="trades")
    op.drop_column("trades", "import_key")
    op.drop_column("trades", "source")
    op.drop_column("trades", "fees")
