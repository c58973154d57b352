"""Strategy configs (`sandbox_strategy_configs`) and the use counters (`sandbox_stats`): managers that take a
session and never commit.

A config is a name (`strategy_id`, unique ignoring case), a saved screen's filters (copied, so a later edit of
the screen does not change a config's past runs; the screen's name is kept for its stored snapshots) and the
rules (core.lab.rules). `sandbox_stats` holds one row per user and day, counting configs created and test runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import SandboxStats, SandboxStrategyConfig
from core.lab.rules import Rules
from core.premiums.filters import PremiumFilters

MAX_NAME = 100


class ConfigError(ValueError):
    """A config name that cannot be used, or a config that does not exist."""


@dataclass(frozen=True)
class LabConfig:
    """A strategy config as plain values (safe to keep after its session closes)."""

    id: str
    name: str
    screen: str | None
    filters: PremiumFilters
    rules: Rules
    active: bool

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "screen": self.screen, "active": self.active,
                "rules": self.rules.to_json(), "filters": self.filters.to_json()}  # fmt: skip


def plain_config(row: SandboxStrategyConfig) -> LabConfig:
    """A config row as plain values."""
    doc = row.config_data or {}
    return LabConfig(row.id, row.strategy_id, doc.get("screen"), PremiumFilters.from_json(doc.get("filters") or {}),
                     Rules.from_json(doc.get("rules") or {}), row.is_active)  # fmt: skip


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ConfigError("a strategy config needs a name")
    if len(name) > MAX_NAME:
        raise ConfigError(f"a strategy config name has at most {MAX_NAME} characters")
    return name


def _row(session: Session, name_or_id: str) -> SandboxStrategyConfig | None:
    key = (name_or_id or "").strip()
    return session.scalar(
        select(SandboxStrategyConfig).where(
            (func.lower(SandboxStrategyConfig.strategy_id) == key.lower()) | (SandboxStrategyConfig.id == key)
        )
    )


def create_config(
    session: Session, name: str, filters: PremiumFilters, rules: Rules, *, screen: str | None = None,
    active: bool = True,
) -> LabConfig:  # fmt: skip
    """Store a new config; ConfigError if the name (ignoring case) is taken. Does not commit."""
    name = _clean_name(name)
    if _row(session, name) is not None:
        raise ConfigError(f"a strategy config named {name!r} already exists (names ignore case)")
    row = SandboxStrategyConfig(
        strategy_id=name,
        config_data={"screen": screen, "filters": filters.to_json(), "rules": rules.to_json()},
        is_active=active,
    )
    session.add(row)
    session.flush()
    return plain_config(row)


def update_config(
    session: Session, name_or_id: str, *, name: str | None = None, filters: PremiumFilters | None = None,
    rules: Rules | None = None, active: bool | None = None,
) -> LabConfig:  # fmt: skip
    """Change a config's name, filters, rules or active flag. Does not commit."""
    row = _row(session, name_or_id)
    if row is None:
        raise ConfigError(f"no strategy config named {name_or_id!r}")
    if name is not None:
        name = _clean_name(name)
        other = _row(session, name)
        if other is not None and other.id != row.id:
            raise ConfigError(f"a strategy config named {name!r} already exists (names ignore case)")
        row.strategy_id = name
    doc = dict(row.config_data or {})
    if filters is not None:
        doc["filters"] = filters.to_json()
    if rules is not None:
        doc["rules"] = rules.to_json()
    row.config_data = doc
    if active is not None:
        row.is_active = active
    session.flush()
    return plain_config(row)


def get_config(session: Session, name_or_id: str) -> LabConfig:
    row = _row(session, name_or_id)
    if row is None:
        raise ConfigError(f"no strategy config named {name_or_id!r}")
    return plain_config(row)


def list_configs(session: Session) -> list[LabConfig]:
    rows = session.scalars(select(SandboxStrategyConfig).order_by(func.lower(SandboxStrategyConfig.strategy_id)))
    return [plain_config(r) for r in rows]


def count_use(session: Session, user: str, *, configs: int = 0, runs: int = 0, now: dt.datetime | None = None) -> None:
    """Add to `user`'s counters of the day (UTC): one row per user and day."""
    now = now or utcnow()
    day = dt.datetime.combine(now.date(), dt.time(0), dt.UTC)
    row = session.scalar(
        select(SandboxStats)
        .where(SandboxStats.user_id == user, SandboxStats.date >= day, SandboxStats.date < day + dt.timedelta(days=1))
        .order_by(SandboxStats.date)
        .limit(1)
    )
    if row is None:
        row = SandboxStats(user_id=user, date=day, strategies_created=0, test_runs=0)
        session.add(row)
    row.strategies_created += configs
    row.test_runs += runs
    session.flush()


def usage(session: Session) -> list[dict[str, Any]]:
    """Every user's counters by day, newest first."""
    rows = session.scalars(select(SandboxStats).order_by(SandboxStats.date.desc(), SandboxStats.user_id))
    return [{"user": r.user_id, "date": r.date.date().isoformat(), "configs_created": r.strategies_created,
             "test_runs": r.test_runs} for r in rows]  # fmt: skip


__all__ = ["ConfigError", "LabConfig", "count_use", "create_config", "get_config", "list_configs", "plain_config",
           "update_config", "usage"]  # fmt: skip
