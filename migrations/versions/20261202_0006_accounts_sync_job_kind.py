"""job_runs.kind takes 'accounts_sync' (the sidecar's broker-account syncs) and is widened to 20 characters

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:00:00.000000

A run's kind was a CHECK constraint over ('sync', 'scan') on a VARCHAR(10); 'accounts_sync' needs both changed.
Downgrading deletes the account-sync runs first, with their items, since the old constraint refuses them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_job_runs_kind"), type_="check")
        batch_op.alter_column("kind", existing_type=sa.String(length=10), type_=sa.String(length=20))
        batch_op.create_check_constraint(op.f("ck_job_runs_kind"), "kind IN ('sync', 'scan', 'accounts_sync')")


def downgrade() -> None:
    op.execute("DELETE FROM job_items WHERE run_id IN (SELECT id FROM job_runs WHERE kind = 'accounts_sync')")
    op.execute("DELETE FROM job_runs WHERE kind = 'accounts_sync'")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_job_runs_kind"), type_="check")
        batch_op.alter_column("kind", existing_type=sa.String(length=20), type_=sa.String(length=10))
        batch_op.create_check_constraint(op.f("ck_job_runs_kind"), "kind IN ('sync', 'scan')")
