"""Strategy Lab: config names ignore case, and sandbox_stats counts test runs too

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:00:00.000000

A Strategy Lab config is named by `sandbox_strategy_configs.strategy_id`; "Wheel 30" and "wheel 30" are one name,
so a unique index on its lower case refuses the second (the table was unused before this revision, so no rename
is needed). `sandbox_stats` gains `test_runs` beside `strategies_created`: the issue counts both per user and day.
`sandbox_ai_conversations` gains `created_at` (the assistant's exchanges in order).
`job_runs.kind` takes 'lab' (test runs are sidecar jobs); downgrading deletes the lab runs first, with their items.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_sandbox_strategy_configs_strategy_id_lower"


def upgrade() -> None:
    with op.batch_alter_table("job_runs") as batch:
        batch.drop_constraint(op.f("ck_job_runs_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_job_runs_kind"), "kind IN ('sync', 'scan', 'accounts_sync', 'lab')")
    op.create_index(INDEX, "sandbox_strategy_configs", [sa.text("lower(strategy_id)")], unique=True)
    with op.batch_alter_table("sandbox_stats") as batch:
        batch.add_column(sa.Column("test_runs", sa.Integer(), server_default=sa.text("0"), nullable=False))
    with op.batch_alter_table("sandbox_ai_conversations") as batch:
        batch.add_column(
            sa.Column(
                "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("sandbox_ai_conversations") as batch:
        batch.drop_column("created_at")
    with op.batch_alter_table("sandbox_stats") as batch:
        batch.drop_column("test_runs")
    op.drop_index(INDEX, table_name="sandbox_strategy_configs")
    op.execute("DELETE FROM job_items WHERE run_id IN (SELECT id FROM job_runs WHERE kind = 'lab')")
    op.execute("DELETE FROM job_runs WHERE kind = 'lab'")
    with op.batch_alter_table("job_runs") as batch:
        batch.drop_constraint(op.f("ck_job_runs_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_job_runs_kind"), "kind IN ('sync', 'scan', 'accounts_sync')")
