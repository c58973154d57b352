"""saved screen names ignore case: "Wheel TV" and "wheel tv" are one saved screen, as migration 0008 made them
one name for every table with a name column

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:15:00.000000

Saved screens are rows of `settings` keyed `screen:<name>`, so 0008's walk over name columns did not reach them.
The same approach: the later of each case-variant group (by `updated_at`, then key) is renamed "<name> (2)",
"<name> (3)", ... with a log line per rename, then a unique index on lower(key) refuses the next variant. The
index covers every setting key; the others are the application's own lower-case keys. The downgrade drops the
index and leaves the names as they are.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

INDEX = "uq_settings_key_lower"
PREFIX = "screen:"
MAX_KEY = 100  # settings.key is VARCHAR(100)


def _renamed(key: str, taken: set[str]) -> str:
    """`key (n)` for the smallest n >= 2 whose lower case is not taken (the name cut so the key fits)."""
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = key[: MAX_KEY - len(suffix)] + suffix
        if candidate.lower() not in taken:
            return candidate
        n += 1


def upgrade() -> None:
    bind = op.get_bind()
    settings = sa.table("settings", sa.column("key"), sa.column("updated_at"))
    keys = bind.execute(
        sa.select(settings.c.key)
        .where(settings.c.key.startswith(PREFIX, autoescape=True))
        .order_by(settings.c.updated_at, settings.c.key)
    ).scalars()
    keys = list(keys)
    taken = {key.lower() for key in bind.execute(sa.select(settings.c.key)).scalars()}
    seen: set[str] = set()
    for key in keys:
        if key.lower() in seen:
            new = _renamed(key, taken)
            bind.execute(sa.update(settings).where(settings.c.key == key).values(key=new))
            log.warning("settings: saved screen %r renamed to %r (names now ignore case)", key, new)
            taken.add(new.lower())
            key = new
        seen.add(key.lower())
    op.create_index(INDEX, "settings", [sa.text("lower(key)")], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="settings")
