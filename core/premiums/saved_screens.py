"""Saved premium screens: a named `PremiumFilters.to_json()` in `settings` under the key `screen:<name>`.

Names ignore case, as every name does ("Wheel TV" is "wheel tv"; a unique index on lower(key), migration 0010):
saving under a case variant of a saved screen is refused with the name it would clash with.

The document may also carry `"track": true`: the screen is tracked, run after each completed universe sync and
its results recorded and resolved at expiry (core.track, docs/track-record.md). The flag lives in the screen's
own document rather than a column because saved screens are rows of the generic key/value `settings` table;
`PremiumFilters.from_json` ignores it, and saving a screen again keeps it.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.db.models import Setting
from core.premiums.filters import PremiumFilters

TRACK = "track"  # the key of the tracking flag in a screen's document
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
        tracked = isinstance(row.value, dict) and row.value.get(TRACK) is True
        row.value = {**filters.to_json(), **({TRACK: True} if tracked else {})}
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


def set_tracked(session: Session, name: str, track: bool) -> bool:
    """Mark the screen `name` tracked or not; True when that changed it (ScreenError when there is none)."""
    row = session.get(Setting, PREFIX + name)
    if row is None or not isinstance(row.value, dict):
        raise ScreenError(f"no saved screen named {name!r}")
    if (row.value.get(TRACK) is True) == track:
        return False
    value = {k: v for k, v in row.value.items() if k != TRACK}
    row.value = {**value, TRACK: True} if track else value  # a new dict: JSON columns notice replacement only
    session.flush()
    return True


def tracked_screens(session: Session) -> dict[str, PremiumFilters]:
    """Every tracked screen's filters, by name (in name order)."""
    rows = session.execute(
        select(Setting.key, Setting.value).where(Setting.key.startswith(PREFIX, autoescape=True)).order_by(Setting.key)
    )
    return {
        key.removeprefix(PREFIX): PremiumFilters.from_json(value)
        for key, value in rows
        if isinstance(value, dict) and value.get(TRACK) is True
    }
