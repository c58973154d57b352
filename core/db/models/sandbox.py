"""Sandbox tables of the opportunity/sandbox/error-log seed (section 4): a safe place to try strategies.

Differences from the seed, on purpose:
- String primary keys are UUID strings, String(36), generated in Python (`uuidpk`).
- `sandbox_historical_cache` has no primary key in the seed (an ORM cannot map that): it gains an `id`;
  `cache_key` stays unique and is what callers look rows up by.
- The seed gives no ON DELETE: `sandbox_test_runs.config_id` and `sandbox_ai_conversations.config_id` are
  CASCADE (runs and conversations mean nothing without their config), and both are indexed so the cascade
  does not scan the tables.
- Defaulted flags, counters and `sandbox_stats.date` are NOT NULL with server defaults, like the rest of the
  schema. `sandbox_stats.date` stays a timestamp, as in the seed, so (user_id, date) is not unique.
- `sandbox_strategy_configs.strategy_id` and `sandbox_stats.user_id` stay plain strings, not foreign keys: the
  seed identifies sandbox strategies and users by opaque ids, not `strategies.id` / `users.id` (integers).
- `sandbox_ai_conversations.created_at` (revision 0011) orders a config's exchanges with the assistant.
- `sandbox_stats.test_runs` (revision 0011) counts test runs beside `strategies_created`; config names
  (`strategy_id`) are unique ignoring case through an index on lower(strategy_id) (0009, like revision 0008's).
Unsized `String` columns are kept as in the seed (VARCHAR without a limit on both backends).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db.base import Base, CreatedAt, JSONType, utcnow, uuidpk

__all__ = [
    "SandboxAIConversation",
    "SandboxHistoricalCache",
    "SandboxStats",
    "SandboxStrategyConfig",
    "SandboxTestRun",
]

_DB_CASCADE = {"cascade": "all, delete-orphan", "passive_deletes": True}


class SandboxStrategyConfig(Base):
    """A strategy configuration under test, kept apart from live strategies."""

    __tablename__ = "sandbox_strategy_configs"

    id: Mapped[uuidpk]
    strategy_id: Mapped[str] = mapped_column(String)
    config_data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    is_active: Mapped[bool] = mapped_column(default=False, server_default=false())

    test_runs: Mapped[list[SandboxTestRun]] = relationship(back_populates="config", **_DB_CASCADE)
    ai_conversations: Mapped[list[SandboxAIConversation]] = relationship(back_populates="config", **_DB_CASCADE)


class SandboxTestRun(Base):
    """One test of a config: its parameters and results."""

    __tablename__ = "sandbox_test_runs"

    id: Mapped[uuidpk]
    config_id: Mapped[str | None] = mapped_column(
        ForeignKey("sandbox_strategy_configs.id", ondelete="CASCADE"), index=True
    )
    test_parameters: Mapped[dict[str, Any]] = mapped_column(JSONType)
    opportunities_found: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    test_results: Mapped[dict[str, Any]] = mapped_column(JSONType)

    config: Mapped[SandboxStrategyConfig | None] = relationship(back_populates="test_runs")


class SandboxAIConversation(CreatedAt, Base):
    """One exchange with the assistant about a config."""

    __tablename__ = "sandbox_ai_conversations"

    id: Mapped[uuidpk]
    config_id: Mapped[str | None] = mapped_column(
        ForeignKey("sandbox_strategy_configs.id", ondelete="CASCADE"), index=True
    )
    user_message: Mapped[str] = mapped_column(Text)
    ai_response: Mapped[str] = mapped_column(Text)

    config: Mapped[SandboxStrategyConfig | None] = relationship(back_populates="ai_conversations")


class SandboxHistoricalCache(Base):
    """Historical data fetched for sandbox tests, cached under `cache_key` until `expires_at`."""

    __tablename__ = "sandbox_historical_cache"

    id: Mapped[uuidpk]
    cache_key: Mapped[str] = mapped_column(String, unique=True)
    symbol: Mapped[str] = mapped_column(String)
    data_type: Mapped[str] = mapped_column(String)
    data: Mapped[Any] = mapped_column(JSONType, nullable=False)  # a document or a list of bars
    expires_at: Mapped[dt.datetime]


class SandboxStats(Base):
    """A user's sandbox activity counter at a point in time."""

    __tablename__ = "sandbox_stats"

    id: Mapped[uuidpk]
    user_id: Mapped[str] = mapped_column(String)
    date: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())
    strategies_created: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    test_runs: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # added in 0009


# Config names ignore case (revision 0011), like the names of revision 0008.
Index("uq_sandbox_strategy_configs_strategy_id_lower", func.lower(SandboxStrategyConfig.strategy_id), unique=True)
