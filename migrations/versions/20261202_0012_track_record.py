"""track record: scan_sessions name the tracked screen and quote date they recorded, opportunity_snapshots
carry their resolution at expiry

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 04:00:00.000000

A tracked saved screen (docs/track-record.md) is run after each completed universe sync: one `scan_sessions` row
per screen and quote date (the unique key makes a second sync the same day record nothing), one
`opportunity_snapshots` row per result. After expiry each snapshot is resolved from the underlying's close:
`outcome` (expired, assigned, called_away; NULL until resolved), the close, the P&L per contract and the realised
returns, or `unresolved_reason` while the close is unknown. The seed's columns keep their meaning; every new
column is nullable, so snapshots and sessions written before this revision stay valid.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scan_sessions") as batch:
        batch.add_column(sa.Column("screen_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("quote_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("job_run_id", sa.Integer(), nullable=True))
        batch.create_unique_constraint(op.f("uq_scan_sessions_screen_name_quote_date"), ["screen_name", "quote_date"])
    with op.batch_alter_table("opportunity_snapshots") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("underlying_close", sa.Float(), nullable=True))
        batch.add_column(sa.Column("pnl", sa.Float(), nullable=True))
        batch.add_column(sa.Column("realized_return", sa.Float(), nullable=True))
        batch.add_column(sa.Column("realized_annualized_return", sa.Float(), nullable=True))
        batch.add_column(sa.Column("unresolved_reason", sa.Text(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_opportunity_snapshots_outcome"), "outcome IN ('expired', 'assigned', 'called_away')"
        )
        batch.create_index("idx_opportunity_snapshots_outcome_expires", ["outcome", "expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("opportunity_snapshots") as batch:
        batch.drop_index("idx_opportunity_snapshots_outcome_expires")
        batch.drop_constraint(op.f("ck_opportunity_snapshots_outcome"), type_="check")
        for column in (
            "unresolved_reason",
            "realized_annualized_return",
            "realized_return",
            "pnl",
            "underlying_close",
            "resolved_at",
            "outcome",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("scan_sessions") as batch:
        batch.drop_constraint(op.f("uq_scan_sessions_screen_name_quote_date"), type_="unique")
        for column in ("job_run_id", "quote_date", "screen_name"):
            batch.drop_column(column)
