"""Saved premium screens: a named `PremiumFilters.to_json()` in `settings` under the key `screen:<name>`.

Names ignore case, as every name does ("Wheel TV" is "wheel tv"; a unique index on lower(key), migration 0009):
saving under a case variant of a saved screen is refused with the name it would clash with.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.db.models import Setting
from core.premiums.filters import PremiumFilters

PREFIX = "screen:"
MAX_NAME = 100 - len(PREFIX)  # settings.key is VARCHAR(100)


class ScreenError(ValueError):
    """A screen name that cannot be used, or a screen that does not exist."""


def screen_names(session: Session) -> list[str]:
    keys = session.scalars(
        select(Setting.key).where(Setting.key.startswith(PREFIX, autoescape=True)).order_by(Setting.key)
    )
    return [key.removeprefix(PREFIX) for key in keys]


def save_screen(session: Session, name: str, filters: PremiumFilters) -> str:
    """Save (or overwrite) a screen; returns the cleaned name. Does not commit."""
    name = (name or "").strip()
    if not name:
        raise ScreenError("a saved screen needs a name")
    if len(name) > MAX_NAME:
        raise ScreenError(f"a screen name has at most {MAX_NAME} characters")
    row = session.get(Setting, PREFIX + name)
    if row is None:
        taken = session.scalar(select(Setting.key).where(func.lower(Setting.key) == (PREFIX + name).lower()))
        if taken is not None:
            existing = taken.removeprefix(PREFIX)
            raise ScreenError(
                f"a saved screen called {existing!r} already exists (names ignore case): save under that name "
                "to replace it, or choose another"
            )
        session.add(Setting(key=PREFIX + name, value=filters.to_json()))
    else:
        row.value = filters.to_json()
    session.flush()
    return name


def load_screen(session: Session, name: str) -> PremiumFilters:
    row = session.get(Setting, PREFIX + name)
    if row is None or not isinstance(row.value, dict):
        raise ScreenError(f"no saved screen named {name!r}")
    return PremiumFilters.from_json(row.value)


def delete_screen(session: Session, name: str) -> bool:
    """Forget a screen; True when there was one. Does not commit."""
    return session.execute(delete(Setting).where(Setting.key == PREFIX + name)).rowcount > 0
