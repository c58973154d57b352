"""scanners.draft: a scanner saved with validation problems is kept, as a draft that cannot be queued

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:00:00.000000

Existing scanners are not drafts (false); a run of one that does not validate still fails with the reason.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scanners") as batch:
        batch.add_column(sa.Column("draft", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("scanners") as batch:
        batch.drop_column("draft")
