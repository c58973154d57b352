"""baseline: every seed table plus job queue and premium history

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 10:53:59.363138
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "critical_error_logs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("error_type", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "details", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("severity", sa.String(), server_default=sa.text("'HIGH'"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_critical_error_logs")),
    )
    with op.batch_alter_table("critical_error_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_critical_error_logs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_critical_error_logs_error_type"), ["error_type"], unique=False)

    op.create_table(
        "sandbox_historical_cache",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cache_key", sa.String(), nullable=False),
        sa.Column("symbol", sa.String(), nullable=False),
        sa.Column("data_type", sa.String(), nullable=False),
        sa.Column(
            "data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_historical_cache")),
        sa.UniqueConstraint("cache_key", name=op.f("uq_sandbox_historical_cache_cache_key")),
    )
    op.create_table(
        "sandbox_stats",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("date", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("strategies_created", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_stats")),
    )
    op.create_table(
        "sandbox_strategy_configs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("strategy_id", sa.String(), nullable=False),
        sa.Column(
            "config_data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_strategy_configs")),
    )
    op.create_table(
        "scan_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("strategy", sa.String(), nullable=False),
        sa.Column(
            "started_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opportunities_found", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("status", sa.String(), server_default=sa.text("'RUNNING'"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_sessions")),
    )
    with op.batch_alter_table("scan_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scan_sessions_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_scan_sessions_strategy"), ["strategy"], unique=False)

    op.create_table(
        "scanner_templates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column(
            "default_parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scanner_templates")),
    )
    with op.batch_alter_table("scanner_templates", schema=None) as batch_op:
        batch_op.create_index("idx_template_category", ["category"], unique=False)

    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column(
            "value", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "stocks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("symbol", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("sector", sa.String(length=100), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("market_cap", sa.BigInteger(), nullable=True),
        sa.Column("current_price", sa.Float(), nullable=True),
        sa.Column("avg_volume", sa.BigInteger(), nullable=True),
        sa.Column(
            "last_updated", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("exchange", sa.String(length=20), nullable=True),
        sa.Column("dividend_yield", sa.Float(), nullable=True),
        sa.Column("next_earnings_date", sa.Date(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocks")),
        sa.UniqueConstraint("symbol", name=op.f("uq_stocks_symbol")),
    )
    with op.batch_alter_table("stocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stocks_sector"), ["sector"], unique=False)

    op.create_table(
        "strategies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("strategy_type", sa.String(length=50), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
    )
    op.create_table(
        "symbol_daily_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("symbol", sa.String(length=20), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("close", sa.Float(), nullable=True),
        sa.Column("iv30", sa.Float(), nullable=True),
        sa.Column("atm_put_mid_30d", sa.Float(), nullable=True),
        sa.Column("atm_call_mid_30d", sa.Float(), nullable=True),
        sa.Column("contracts", sa.Integer(), nullable=True),
        sa.Column("total_volume", sa.BigInteger(), nullable=True),
        sa.Column("total_open_interest", sa.BigInteger(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_symbol_daily_history")),
        sa.UniqueConstraint("symbol", "date", name="uq_symbol_daily_history_symbol_date"),
    )
    with op.batch_alter_table("symbol_daily_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_symbol_daily_history_date"), ["date"], unique=False)

    op.create_table(
        "system_health_status",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "check_timestamp", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("service_name", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("response_time_ms", sa.Integer(), nullable=True),
        sa.Column("error_count_24h", sa.Integer(), nullable=True),
        sa.Column(
            "details", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_health_status")),
    )
    with op.batch_alter_table("system_health_status", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_system_health_status_service_name"), ["service_name"], unique=False)

    op.create_table(
        "trading_hours_templates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("exchange_code", sa.String(length=10), nullable=True),
        sa.Column("timezone", sa.String(length=50), server_default=sa.text("'Asia/Kolkata'"), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_hours_templates")),
        sa.UniqueConstraint("exchange_code", name=op.f("uq_trading_hours_templates_exchange_code")),
    )
    op.create_table(
        "tv_watchlists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tv_watchlists")),
        sa.UniqueConstraint("name", name=op.f("uq_tv_watchlists_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("email", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("role", sa.String(length=10), server_default=sa.text("'viewer'"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("last_login", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.CheckConstraint("role IN ('viewer', 'trader', 'admin')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("idx_email", ["email"], unique=False)
        batch_op.create_index("idx_username", ["username"], unique=False)

    op.create_table(
        "watchlists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "symbols", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("exchange", sa.String(length=10), server_default=sa.text("'NSE'"), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchlists")),
        sa.UniqueConstraint("name", name=op.f("uq_watchlists_name")),
    )
    with op.batch_alter_table("watchlists", schema=None) as batch_op:
        batch_op.create_index("idx_watchlist_exchange", ["exchange"], unique=False)
        batch_op.create_index("idx_watchlist_name", ["name"], unique=False)

    op.create_table(
        "activity_logs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.Column(
            "timestamp", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_activity_logs_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_logs")),
    )
    with op.batch_alter_table("activity_logs", schema=None) as batch_op:
        batch_op.create_index("idx_action_timestamp", ["action", "timestamp"], unique=False)
        batch_op.create_index("idx_activity_logs_action", ["action"], unique=False)
        batch_op.create_index("idx_activity_logs_timestamp", ["timestamp"], unique=False)
        batch_op.create_index("idx_activity_logs_user_id", ["user_id"], unique=False)
        batch_op.create_index("idx_activity_user_action", ["user_id", "action"], unique=False)
        batch_op.create_index("idx_user_timestamp", ["user_id", "timestamp"], unique=False)

    op.create_table(
        "market_holidays",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("holiday_type", sa.String(length=50), nullable=True),
        sa.Column("early_close", sa.Time(), nullable=True),
        sa.Column("late_open", sa.Time(), nullable=True),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["trading_hours_templates.id"],
            name=op.f("fk_market_holidays_template_id_trading_hours_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_holidays")),
        sa.UniqueConstraint("template_id", "date", name=op.f("uq_market_holidays_template_id_date")),
    )
    with op.batch_alter_table("market_holidays", schema=None) as batch_op:
        batch_op.create_index("idx_market_holidays_date", ["date"], unique=False)
        batch_op.create_index("idx_market_holidays_template_id", ["template_id"], unique=False)

    op.create_table(
        "opportunity_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("opportunity_id", sa.String(), nullable=False),
        sa.Column("symbol", sa.String(), nullable=False),
        sa.Column("strategy_type", sa.String(), nullable=False),
        sa.Column(
            "data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scan_session_id", sa.String(length=36), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["scan_session_id"],
            ["scan_sessions.id"],
            name=op.f("fk_opportunity_snapshots_scan_session_id_scan_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_snapshots")),
    )
    with op.batch_alter_table("opportunity_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opportunity_snapshots_opportunity_id"), ["opportunity_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_opportunity_snapshots_scan_session_id"), ["scan_session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_opportunity_snapshots_strategy_type"), ["strategy_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_opportunity_snapshots_symbol"), ["symbol"], unique=False)

    op.create_table(
        "sandbox_ai_conversations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("config_id", sa.String(length=36), nullable=True),
        sa.Column("user_message", sa.Text(), nullable=False),
        sa.Column("ai_response", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["config_id"],
            ["sandbox_strategy_configs.id"],
            name=op.f("fk_sandbox_ai_conversations_config_id_sandbox_strategy_configs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_ai_conversations")),
    )
    with op.batch_alter_table("sandbox_ai_conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sandbox_ai_conversations_config_id"), ["config_id"], unique=False)

    op.create_table(
        "sandbox_test_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("config_id", sa.String(length=36), nullable=True),
        sa.Column(
            "test_parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("opportunities_found", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "test_results",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["config_id"],
            ["sandbox_strategy_configs.id"],
            name=op.f("fk_sandbox_test_runs_config_id_sandbox_strategy_configs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_test_runs")),
    )
    with op.batch_alter_table("sandbox_test_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sandbox_test_runs_config_id"), ["config_id"], unique=False)

    op.create_table(
        "scanners",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column(
            "parameters", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("category", sa.String(length=50), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["scanner_templates.id"],
            name=op.f("fk_scanners_template_id_scanner_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scanners")),
        sa.UniqueConstraint("name", name=op.f("uq_scanners_name")),
    )
    with op.batch_alter_table("scanners", schema=None) as batch_op:
        batch_op.create_index("idx_scanner_active", ["is_active"], unique=False)
        batch_op.create_index("idx_scanner_category", ["category"], unique=False)
        batch_op.create_index("idx_scanner_name", ["name"], unique=False)

    op.create_table(
        "stock_data",
        sa.Column("symbol", sa.String(length=20), nullable=False),
        sa.Column("price", sa.Float(), nullable=True),
        sa.Column("previous_close", sa.Float(), nullable=True),
        sa.Column("quote_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("iv30", sa.Float(), nullable=True),
        sa.Column("iv_rank", sa.Float(), nullable=True),
        sa.Column("iv_percentile", sa.Float(), nullable=True),
        sa.Column("contracts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("expirations", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "quarantined", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("sync_status", sa.String(length=20), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["symbol"],
            ["stocks.symbol"],
            name=op.f("fk_stock_data_symbol_stocks"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("symbol", name=op.f("pk_stock_data")),
    )
    with op.batch_alter_table("stock_data", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_data_fetched_at"), ["fetched_at"], unique=False)

    op.create_table(
        "stock_premiums",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("symbol", sa.String(length=20), nullable=False),
        sa.Column("expiration_date", sa.Date(), nullable=False),
        sa.Column("option_type", sa.String(length=4), nullable=False),
        sa.Column("strike_price", sa.Float(), nullable=False),
        sa.Column("contract_symbol", sa.String(length=40), nullable=True),
        sa.Column("bid", sa.Float(), nullable=True),
        sa.Column("ask", sa.Float(), nullable=True),
        sa.Column("last", sa.Float(), nullable=True),
        sa.Column("mid", sa.Float(), nullable=True),
        sa.Column("premium", sa.Float(), nullable=True),
        sa.Column("volume", sa.BigInteger(), nullable=True),
        sa.Column("open_interest", sa.BigInteger(), nullable=True),
        sa.Column("implied_volatility", sa.Float(), nullable=True),
        sa.Column("iv_source", sa.String(length=10), nullable=True),
        sa.Column("delta", sa.Float(), nullable=True),
        sa.Column("gamma", sa.Float(), nullable=True),
        sa.Column("theta", sa.Float(), nullable=True),
        sa.Column("vega", sa.Float(), nullable=True),
        sa.Column("underlying_price", sa.Float(), nullable=True),
        sa.Column("last_trade_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("quote_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quality_flag", sa.String(length=30), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.CheckConstraint("option_type IN ('put', 'call')", name=op.f("ck_stock_premiums_option_type")),
        sa.ForeignKeyConstraint(
            ["symbol"],
            ["stocks.symbol"],
            name=op.f("fk_stock_premiums_symbol_stocks"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_premiums")),
        sa.UniqueConstraint(
            "symbol", "expiration_date", "option_type", "strike_price", name="uq_stock_premiums_contract"
        ),
    )
    with op.batch_alter_table("stock_premiums", schema=None) as batch_op:
        batch_op.create_index(
            "idx_sp_rank",
            ["option_type", "expiration_date", "symbol"],
            unique=False,
            postgresql_where=sa.text("quality_flag IS NULL"),
            sqlite_where=sa.text("quality_flag IS NULL"),
        )
        batch_op.create_index("idx_sp_symbol_expiration", ["symbol", "expiration_date"], unique=False)

    op.create_table(
        "trading_accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_name", sa.String(length=100), nullable=False),
        sa.Column("broker", sa.String(length=50), nullable=False),
        sa.Column("api_key_encrypted", sa.Text(), nullable=True),
        sa.Column("host_url", sa.String(length=200), server_default=sa.text("'http://127.0.0.1:5000'"), nullable=True),
        sa.Column(
            "websocket_url", sa.String(length=200), server_default=sa.text("'ws://127.0.0.1:8765'"), nullable=True
        ),
        sa.Column("is_primary", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("last_connected", sa.DateTime(timezone=True), nullable=True),
        sa.Column("connection_status", sa.String(length=20), server_default=sa.text("'disconnected'"), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.CheckConstraint("length(account_name) >= 3", name=op.f("check_account_name_length")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_trading_accounts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_accounts")),
        sa.UniqueConstraint("user_id", "account_name", name="unique_user_account"),
    )
    with op.batch_alter_table("trading_accounts", schema=None) as batch_op:
        batch_op.create_index(
            "idx_accounts_user_primary",
            ["user_id", "is_primary"],
            unique=False,
            postgresql_include=["account_name", "broker"],
        )
        batch_op.create_index("idx_trading_accounts_is_active", ["is_active"], unique=False)
        batch_op.create_index("idx_trading_accounts_is_primary", ["is_primary"], unique=False)
        batch_op.create_index("idx_trading_accounts_user_id", ["user_id"], unique=False)

    op.create_table(
        "trading_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("day_of_week", sa.Integer(), nullable=False),
        sa.Column("pre_market_start", sa.Time(), nullable=True),
        sa.Column("pre_market_end", sa.Time(), nullable=True),
        sa.Column("market_open", sa.Time(), nullable=True),
        sa.Column("market_close", sa.Time(), nullable=True),
        sa.Column("post_market_start", sa.Time(), nullable=True),
        sa.Column("post_market_end", sa.Time(), nullable=True),
        sa.Column("is_trading_day", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint("day_of_week BETWEEN 0 AND 6", name=op.f("ck_trading_sessions_day_of_week_range")),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["trading_hours_templates.id"],
            name=op.f("fk_trading_sessions_template_id_trading_hours_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_sessions")),
        sa.UniqueConstraint("template_id", "day_of_week", name=op.f("uq_trading_sessions_template_id_day_of_week")),
    )
    with op.batch_alter_table("trading_sessions", schema=None) as batch_op:
        batch_op.create_index("idx_trading_sessions_day_of_week", ["day_of_week"], unique=False)
        batch_op.create_index("idx_trading_sessions_template_id", ["template_id"], unique=False)

    op.create_table(
        "tv_watchlist_symbols",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("watchlist_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=20), nullable=False),
        sa.Column("exchange", sa.String(length=20), nullable=True),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["watchlist_id"],
            ["tv_watchlists.id"],
            name=op.f("fk_tv_watchlist_symbols_watchlist_id_tv_watchlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tv_watchlist_symbols")),
        sa.UniqueConstraint("watchlist_id", "symbol", name="uq_tv_watchlist_symbols_entry"),
    )
    with op.batch_alter_table("tv_watchlist_symbols", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tv_watchlist_symbols_symbol"), ["symbol"], unique=False)
        batch_op.create_index(batch_op.f("ix_tv_watchlist_symbols_watchlist_id"), ["watchlist_id"], unique=False)

    op.create_table(
        "failover_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("from_account_id", sa.Integer(), nullable=True),
        sa.Column("to_account_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column(
            "timestamp", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("success", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_account_id"],
            ["trading_accounts.id"],
            name=op.f("fk_failover_events_from_account_id_trading_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_account_id"],
            ["trading_accounts.id"],
            name=op.f("fk_failover_events_to_account_id_trading_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failover_events")),
    )
    with op.batch_alter_table("failover_events", schema=None) as batch_op:
        batch_op.create_index("idx_failover_events_from_account_id", ["from_account_id"], unique=False)
        batch_op.create_index("idx_failover_events_timestamp", ["timestamp"], unique=False)
        batch_op.create_index("idx_failover_events_to_account_id", ["to_account_id"], unique=False)

    op.create_table(
        "holdings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=50), nullable=False),
        sa.Column("exchange", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("average_price", sa.Float(), nullable=False),
        sa.Column("current_price", sa.Float(), nullable=True),
        sa.Column("pnl", sa.Float(), nullable=True),
        sa.Column("pnl_percent", sa.Float(), nullable=True),
        sa.Column("invested_value", sa.Float(), nullable=True),
        sa.Column("current_value", sa.Float(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["trading_accounts.id"],
            name=op.f("fk_holdings_account_id_trading_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holdings")),
        sa.UniqueConstraint("account_id", "symbol", name="unique_holding"),
    )
    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.create_index("idx_holdings_account_id", ["account_id"], unique=False)
        batch_op.create_index("idx_holdings_symbol", ["symbol"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=50), nullable=False),
        sa.Column("symbol", sa.String(length=50), nullable=False),
        sa.Column("exchange", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("order_type", sa.String(length=20), nullable=False),
        sa.Column("price", sa.Float(), nullable=True),
        sa.Column("trigger_price", sa.Float(), nullable=True),
        sa.Column("product", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filled_quantity", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("average_price", sa.Float(), nullable=True),
        sa.Column(
            "placed_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["trading_accounts.id"],
            name=op.f("fk_orders_account_id_trading_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("idx_orders_account_id", ["account_id"], unique=False)
        batch_op.create_index("idx_orders_account_status", ["account_id", "status"], unique=False)
        batch_op.create_index("idx_orders_order_id", ["order_id"], unique=False)
        batch_op.create_index("idx_orders_placed_at", ["placed_at"], unique=False)
        batch_op.create_index("idx_orders_status", ["status"], unique=False)
        batch_op.create_index("idx_orders_symbol", ["symbol"], unique=False)

    op.create_table(
        "positions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=50), nullable=False),
        sa.Column("exchange", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=10), nullable=True),
        sa.Column("average_price", sa.Float(), nullable=False),
        sa.Column("current_price", sa.Float(), nullable=True),
        sa.Column("pnl", sa.Float(), nullable=True),
        sa.Column("pnl_percent", sa.Float(), nullable=True),
        sa.Column("day_change", sa.Float(), nullable=True),
        sa.Column("day_change_percent", sa.Float(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["trading_accounts.id"],
            name=op.f("fk_positions_account_id_trading_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        sa.UniqueConstraint("account_id", "symbol", "product", name="unique_position"),
    )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index("idx_positions_account_id", ["account_id"], unique=False)
        batch_op.create_index("idx_positions_account_symbol", ["account_id", "symbol"], unique=False)
        batch_op.create_index("idx_positions_symbol", ["symbol"], unique=False)

    op.create_table(
        "scan_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scanner_id", sa.Integer(), nullable=False),
        sa.Column("watchlist_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("symbols_scanned", sa.Integer(), nullable=True),
        sa.Column("signals_found", sa.Integer(), nullable=True),
        sa.Column("execution_time_ms", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["scanner_id"], ["scanners.id"], name=op.f("fk_scan_history_scanner_id_scanners"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["watchlist_id"],
            ["watchlists.id"],
            name=op.f("fk_scan_history_watchlist_id_watchlists"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_history")),
    )
    with op.batch_alter_table("scan_history", schema=None) as batch_op:
        batch_op.create_index("idx_history_scanner", ["scanner_id"], unique=False)
        batch_op.create_index("idx_history_started", ["started_at"], unique=False)
        batch_op.create_index("idx_history_status", ["status"], unique=False)
        batch_op.create_index("idx_history_watchlist", ["watchlist_id"], unique=False)

    op.create_table(
        "scan_schedules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scanner_id", sa.Integer(), nullable=False),
        sa.Column("watchlist_id", sa.Integer(), nullable=False),
        sa.Column("schedule_type", sa.String(length=20), nullable=True),
        sa.Column("interval_minutes", sa.Integer(), nullable=True),
        sa.Column("run_time", sa.Time(), nullable=True),
        sa.Column("days_of_week", sa.String(length=20), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("last_run", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_run", sa.DateTime(timezone=True), nullable=True),
        sa.Column("market_hours_only", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("timezone", sa.String(length=50), server_default=sa.text("'America/New_York'"), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.CheckConstraint(
            "schedule_type IN ('once', 'interval', 'daily', 'weekly')", name=op.f("ck_scan_schedules_schedule_type")
        ),
        sa.CheckConstraint(
            "interval_minutes IS NULL OR interval_minutes > 0", name=op.f("ck_scan_schedules_interval_positive")
        ),
        sa.ForeignKeyConstraint(
            ["scanner_id"], ["scanners.id"], name=op.f("fk_scan_schedules_scanner_id_scanners"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["watchlist_id"],
            ["watchlists.id"],
            name=op.f("fk_scan_schedules_watchlist_id_watchlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_schedules")),
    )
    with op.batch_alter_table("scan_schedules", schema=None) as batch_op:
        batch_op.create_index("idx_schedule_active", ["is_active"], unique=False)
        batch_op.create_index("idx_schedule_next_run", ["next_run"], unique=False)
        batch_op.create_index("idx_schedule_scanner", ["scanner_id"], unique=False)
        batch_op.create_index("idx_schedule_watchlist", ["watchlist_id"], unique=False)

    op.create_table(
        "strategy_deployments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("capital_allocated", sa.Float(), nullable=True),
        sa.Column("max_positions", sa.Integer(), server_default=sa.text("5"), nullable=False),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'inactive'"), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_pnl", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["trading_accounts.id"],
            name=op.f("fk_strategy_deployments_account_id_trading_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_strategy_deployments_strategy_id_strategies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_deployments")),
    )
    with op.batch_alter_table("strategy_deployments", schema=None) as batch_op:
        batch_op.create_index("idx_strategy_deployments_account_id", ["account_id"], unique=False)
        batch_op.create_index("idx_strategy_deployments_status", ["status"], unique=False)
        batch_op.create_index("idx_strategy_deployments_strategy_id", ["strategy_id"], unique=False)

    op.create_table(
        "websocket_connections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'disconnected'"), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disconnected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("messages_received", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_heartbeat", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["trading_accounts.id"],
            name=op.f("fk_websocket_connections_account_id_trading_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_websocket_connections")),
        sa.UniqueConstraint("connection_id", name=op.f("uq_websocket_connections_connection_id")),
    )
    with op.batch_alter_table("websocket_connections", schema=None) as batch_op:
        batch_op.create_index("idx_websocket_connections_account_id", ["account_id"], unique=False)
        batch_op.create_index("idx_websocket_connections_status", ["status"], unique=False)

    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("active_scope", sa.String(length=200), nullable=True),
        sa.Column(
            "params", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'queued'"), nullable=False),
        sa.Column("requested_by", sa.String(length=80), nullable=True),
        sa.Column("provider", sa.String(length=20), nullable=True),
        sa.Column("total_items", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("done_items", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("failed_items", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("no_options_items", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("contracts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "quarantined", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("scan_history_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.CheckConstraint("kind IN ('sync', 'scan')", name=op.f("ck_job_runs_kind")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'completed', 'failed', 'cancelled')", name=op.f("ck_job_runs_status")
        ),
        sa.ForeignKeyConstraint(
            ["scan_history_id"],
            ["scan_history.id"],
            name=op.f("fk_job_runs_scan_history_id_scan_history"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("active_scope", name=op.f("uq_job_runs_active_scope")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index("idx_job_runs_status_created", ["status", "created_at"], unique=False)

    op.create_table(
        "scan_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scanner_id", sa.Integer(), nullable=False),
        sa.Column("scan_history_id", sa.Integer(), nullable=True),
        sa.Column("symbol", sa.String(length=20), nullable=False),
        sa.Column("exchange", sa.String(length=10), nullable=True),
        sa.Column("signal", sa.String(length=50), nullable=True),
        sa.Column(
            "metrics", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column(
            "timestamp", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["scan_history_id"],
            ["scan_history.id"],
            name=op.f("fk_scan_results_scan_history_id_scan_history"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scanner_id"], ["scanners.id"], name=op.f("fk_scan_results_scanner_id_scanners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_results")),
    )
    with op.batch_alter_table("scan_results", schema=None) as batch_op:
        batch_op.create_index("idx_result_history", ["scan_history_id"], unique=False)
        batch_op.create_index("idx_result_scanner", ["scanner_id"], unique=False)
        batch_op.create_index("idx_result_signal", ["signal"], unique=False)
        batch_op.create_index("idx_result_symbol", ["symbol"], unique=False)
        batch_op.create_index("idx_result_timestamp", ["timestamp"], unique=False)

    op.create_table(
        "job_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'queued'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contracts", sa.Integer(), nullable=True),
        sa.Column(
            "quarantined", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'synced', 'no_options', 'failed', 'cancelled')",
            name=op.f("ck_job_items_status"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["job_runs.id"], name=op.f("fk_job_items_run_id_job_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_items")),
        sa.UniqueConstraint("run_id", "symbol", name="uq_job_items_run_symbol"),
    )
    with op.batch_alter_table("job_items", schema=None) as batch_op:
        batch_op.create_index("idx_job_items_claim", ["status", "lease_expires_at"], unique=False)
        batch_op.create_index("idx_job_items_run_status", ["run_id", "status"], unique=False)

    op.create_table(
        "schedule_fires",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("fire_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["job_runs.id"], name=op.f("fk_schedule_fires_run_id_job_runs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["scan_schedules.id"],
            name=op.f("fk_schedule_fires_schedule_id_scan_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_fires")),
        sa.UniqueConstraint("schedule_id", "fire_time", name="uq_schedule_fires_schedule_time"),
    )
    op.create_table(
        "quarantine_counts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("symbol", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("job_item_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_item_id"],
            ["job_items.id"],
            name=op.f("fk_quarantine_counts_job_item_id_job_items"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine_counts")),
    )
    with op.batch_alter_table("quarantine_counts", schema=None) as batch_op:
        batch_op.create_index("idx_quarantine_symbol_time", ["symbol", "recorded_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_quarantine_counts_job_item_id"), ["job_item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quarantine_counts_reason"), ["reason"], unique=False)
        batch_op.create_index(batch_op.f("ix_quarantine_counts_recorded_at"), ["recorded_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quarantine_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_counts_recorded_at"))
        batch_op.drop_index(batch_op.f("ix_quarantine_counts_reason"))
        batch_op.drop_index(batch_op.f("ix_quarantine_counts_job_item_id"))
        batch_op.drop_index("idx_quarantine_symbol_time")

    op.drop_table("quarantine_counts")
    op.drop_table("schedule_fires")
    with op.batch_alter_table("job_items", schema=None) as batch_op:
        batch_op.drop_index("idx_job_items_run_status")
        batch_op.drop_index("idx_job_items_claim")

    op.drop_table("job_items")
    with op.batch_alter_table("scan_results", schema=None) as batch_op:
        batch_op.drop_index("idx_result_timestamp")
        batch_op.drop_index("idx_result_symbol")
        batch_op.drop_index("idx_result_signal")
        batch_op.drop_index("idx_result_scanner")
        batch_op.drop_index("idx_result_history")

    op.drop_table("scan_results")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index("idx_job_runs_status_created")

    op.drop_table("job_runs")
    with op.batch_alter_table("websocket_connections", schema=None) as batch_op:
        batch_op.drop_index("idx_websocket_connections_status")
        batch_op.drop_index("idx_websocket_connections_account_id")

    op.drop_table("websocket_connections")
    with op.batch_alter_table("strategy_deployments", schema=None) as batch_op:
        batch_op.drop_index("idx_strategy_deployments_strategy_id")
        batch_op.drop_index("idx_strategy_deployments_status")
        batch_op.drop_index("idx_strategy_deployments_account_id")

    op.drop_table("strategy_deployments")
    with op.batch_alter_table("scan_schedules", schema=None) as batch_op:
        batch_op.drop_index("idx_schedule_watchlist")
        batch_op.drop_index("idx_schedule_scanner")
        batch_op.drop_index("idx_schedule_next_run")
        batch_op.drop_index("idx_schedule_active")

    op.drop_table("scan_schedules")
    with op.batch_alter_table("scan_history", schema=None) as batch_op:
        batch_op.drop_index("idx_history_watchlist")
        batch_op.drop_index("idx_history_status")
        batch_op.drop_index("idx_history_started")
        batch_op.drop_index("idx_history_scanner")

    op.drop_table("scan_history")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index("idx_positions_symbol")
        batch_op.drop_index("idx_positions_account_symbol")
        batch_op.drop_index("idx_positions_account_id")

    op.drop_table("positions")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("idx_orders_symbol")
        batch_op.drop_index("idx_orders_status")
        batch_op.drop_index("idx_orders_placed_at")
        batch_op.drop_index("idx_orders_order_id")
        batch_op.drop_index("idx_orders_account_status")
        batch_op.drop_index("idx_orders_account_id")

    op.drop_table("orders")
    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.drop_index("idx_holdings_symbol")
        batch_op.drop_index("idx_holdings_account_id")

    op.drop_table("holdings")
    with op.batch_alter_table("failover_events", schema=None) as batch_op:
        batch_op.drop_index("idx_failover_events_to_account_id")
        batch_op.drop_index("idx_failover_events_timestamp")
        batch_op.drop_index("idx_failover_events_from_account_id")

    op.drop_table("failover_events")
    with op.batch_alter_table("tv_watchlist_symbols", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tv_watchlist_symbols_watchlist_id"))
        batch_op.drop_index(batch_op.f("ix_tv_watchlist_symbols_symbol"))

    op.drop_table("tv_watchlist_symbols")
    with op.batch_alter_table("trading_sessions", schema=None) as batch_op:
        batch_op.drop_index("idx_trading_sessions_template_id")
        batch_op.drop_index("idx_trading_sessions_day_of_week")

    op.drop_table("trading_sessions")
    with op.batch_alter_table("trading_accounts", schema=None) as batch_op:
        batch_op.drop_index("idx_trading_accounts_user_id")
        batch_op.drop_index("idx_trading_accounts_is_primary")
        batch_op.drop_index("idx_trading_accounts_is_active")
        batch_op.drop_index("idx_accounts_user_primary", postgresql_include=["account_name", "broker"])

    op.drop_table("trading_accounts")
    with op.batch_alter_table("stock_premiums", schema=None) as batch_op:
        batch_op.drop_index("idx_sp_symbol_expiration")
        batch_op.drop_index(
            "idx_sp_rank",
            postgresql_where=sa.text("quality_flag IS NULL"),
            sqlite_where=sa.text("quality_flag IS NULL"),
        )

    op.drop_table("stock_premiums")
    with op.batch_alter_table("stock_data", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_data_fetched_at"))

    op.drop_table("stock_data")
    with op.batch_alter_table("scanners", schema=None) as batch_op:
        batch_op.drop_index("idx_scanner_name")
        batch_op.drop_index("idx_scanner_category")
        batch_op.drop_index("idx_scanner_active")

    op.drop_table("scanners")
    with op.batch_alter_table("sandbox_test_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sandbox_test_runs_config_id"))

    op.drop_table("sandbox_test_runs")
    with op.batch_alter_table("sandbox_ai_conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sandbox_ai_conversations_config_id"))

    op.drop_table("sandbox_ai_conversations")
    with op.batch_alter_table("opportunity_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunity_snapshots_symbol"))
        batch_op.drop_index(batch_op.f("ix_opportunity_snapshots_strategy_type"))
        batch_op.drop_index(batch_op.f("ix_opportunity_snapshots_scan_session_id"))
        batch_op.drop_index(batch_op.f("ix_opportunity_snapshots_opportunity_id"))

    op.drop_table("opportunity_snapshots")
    with op.batch_alter_table("market_holidays", schema=None) as batch_op:
        batch_op.drop_index("idx_market_holidays_template_id")
        batch_op.drop_index("idx_market_holidays_date")

    op.drop_table("market_holidays")
    with op.batch_alter_table("activity_logs", schema=None) as batch_op:
        batch_op.drop_index("idx_user_timestamp")
        batch_op.drop_index("idx_activity_user_action")
        batch_op.drop_index("idx_activity_logs_user_id")
        batch_op.drop_index("idx_activity_logs_timestamp")
        batch_op.drop_index("idx_activity_logs_action")
        batch_op.drop_index("idx_action_timestamp")

    op.drop_table("activity_logs")
    with op.batch_alter_table("watchlists", schema=None) as batch_op:
        batch_op.drop_index("idx_watchlist_name")
        batch_op.drop_index("idx_watchlist_exchange")

    op.drop_table("watchlists")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("idx_username")
        batch_op.drop_index("idx_email")

    op.drop_table("users")
    op.drop_table("tv_watchlists")
    op.drop_table("trading_hours_templates")
    with op.batch_alter_table("system_health_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_system_health_status_service_name"))

    op.drop_table("system_health_status")
    with op.batch_alter_table("symbol_daily_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_symbol_daily_history_date"))

    op.drop_table("symbol_daily_history")
    op.drop_table("strategies")
    with op.batch_alter_table("stocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocks_sector"))

    op.drop_table("stocks")
    op.drop_table("settings")
    with op.batch_alter_table("scanner_templates", schema=None) as batch_op:
        batch_op.drop_index("idx_template_category")

    op.drop_table("scanner_templates")
    with op.batch_alter_table("scan_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scan_sessions_strategy"))
        batch_op.drop_index(batch_op.f("ix_scan_sessions_status"))

    op.drop_table("scan_sessions")
    op.drop_table("sandbox_strategy_configs")
    op.drop_table("sandbox_stats")
    op.drop_table("sandbox_historical_cache")
    with op.batch_alter_table("critical_error_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_critical_error_logs_error_type"))
        batch_op.drop_index(batch_op.f("ix_critical_error_logs_created_at"))

    op.drop_table("critical_error_logs")
