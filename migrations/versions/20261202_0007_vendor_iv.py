"""stock_premiums.vendor_iv: the provider's own IV, kept beside ours and never feeding a greek

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:30:00.000000

DESIGN section 4: IV is solved from the mid (with the stock's dividend yield) for every row with a tradable mid,
and every greek and probability comes from that IV. Until now a provider's IV was stored in implied_volatility
and fed the greeks; it now has its own column, shown in the symbol detail beside ours. Existing rows keep their
numbers until the next sync rewrites them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stock_premiums") as batch:
        batch.add_column(sa.Column("vendor_iv", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stock_premiums") as batch:
        batch.drop_column("vendor_iv")
