"""accounts: health, sync and failover columns on trading_accounts; funds and trades tables; imported rows

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-01 12:00:00.000000

- trading_accounts: last_ping, failed_pings, last_sync, last_error, backup_of_id (SET NULL, indexed)
- account_funds (one row per account) and trades (fills by exchange day), both cascading with the account
- positions.source / holdings.source ('openalgo' or 'import'); holdings.average_price nullable (several
  OpenAlgo brokers report holdings without it)
- orders: unique (account_id, order_id), so a re-sync updates an order instead of duplicating it
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_funds",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("available_cash", sa.Float(), nullable=True),
        sa.Column("collateral", sa.Float(), nullable=True),
        sa.Column("used_margin", sa.Float(), nullable=True),
        sa.Column("realized_pnl", sa.Float(), nullable=True),
        sa.Column("unrealized_pnl", sa.Float(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["trading_accounts.id"],
            name=op.f("fk_account_funds_account_id_trading_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_funds")),
    )
    op.create_table(
        "trades",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=50), nullable=False),
        sa.Column("symbol", sa.String(length=50), nullable=False),
        sa.Column("exchange", sa.String(length=10), nullable=False),
        sa.Column("product", sa.String(length=10), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("average_price", sa.Float(), nullable=True),
        sa.Column("trade_value", sa.Float(), nullable=True),
        sa.Column("traded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trade_date", sa.Date(), nullable=False),
        sa.Column(
            "fetched_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["trading_accounts.id"],
            name=op.f("fk_trades_account_id_trading_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
    )
    op.create_index("idx_trades_account_date", "trades", ["account_id", "trade_date"], unique=False)
    op.create_index("idx_trades_order_id", "trades", ["order_id"], unique=False)

    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=10), server_default=sa.text("'openalgo'"), nullable=False)
        )
        batch_op.alter_column("average_price", existing_type=sa.Float(), nullable=True)

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_orders_account_id_order_id"), ["account_id", "order_id"])

    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=10), server_default=sa.text("'openalgo'"), nullable=False)
        )

    with op.batch_alter_table("trading_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_ping", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failed_pings", sa.Integer(), server_default=sa.text("0"), nullable=False))
        batch_op.add_column(sa.Column("last_sync", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("backup_of_id", sa.Integer(), nullable=True))
        batch_op.create_index("idx_trading_accounts_backup_of_id", ["backup_of_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_trading_accounts_backup_of_id_trading_accounts"),
            "trading_accounts",
            ["backup_of_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("trading_accounts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_trading_accounts_backup_of_id_trading_accounts"), type_="foreignkey")
        batch_op.drop_index("idx_trading_accounts_backup_of_id")
        batch_op.drop_column("backup_of_id")
        batch_op.drop_column("last_error")
        batch_op.drop_column("last_sync")
        batch_op.drop_column("failed_pings")
        batch_op.drop_column("last_ping")

    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_column("source")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_orders_account_id_order_id"), type_="unique")

    # Holdings stored without an average price cannot go back under NOT NULL: 0 would be a made-up price.
    op.execute("DELETE FROM holdings WHERE average_price IS NULL")
    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.alter_column("average_price", existing_type=sa.Float(), nullable=False)
        batch_op.drop_column("source")

    op.drop_index("idx_trades_order_id", table_name="trades")
    op.drop_index("idx_trades_account_date", table_name="trades")
    op.drop_table("trades")
    op.drop_table("account_funds")
