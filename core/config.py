"""One typed settings object, read from the environment and an optional `.env` file.

The dashboard, the sidecar, the command line and Alembic all call `get_settings()`, so a variable means the
same thing everywhere. Secrets live here only as values read from the environment; they are never printed
(`Settings.__repr__` masks them) and never written to `.streamlit/`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///data/wheelhouse.db"


class Settings(BaseSettings):
    """Runtime configuration; every field maps to an upper-case environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    market_data_provider: Literal["synthetic", "yfinance", "csv", "openalgo"] = "synthetic"
    market_data_source: str | None = Field(default=None, description="folder for the csv provider")
    risk_free_rate: float = Field(default=0.04, ge=-0.05, le=0.5)
    sync_interval_minutes: int = Field(default=30, ge=1)
    sync_market_hours_only: bool = True
    yf_requests_per_second: float = Field(default=2.0, gt=0)
    yf_max_retries: int = Field(default=4, ge=0)
    yf_timeout_seconds: float = Field(default=20.0, gt=0)
    # Every request for a *.yahoo.com host goes here instead when set (a Yahoo-compatible mirror; the tests' server).
    yf_base_url: str | None = None
    yf_pause_on_429_seconds: float = Field(default=5.0, ge=0)  # every fetcher of the process pauses this long
    # Expiries more than this many days out are not requested (0: every listed expiry); docs/providers.md.
    sync_max_dte: int = Field(default=75, ge=0, le=3660)
    sync_fetchers: int = Field(default=4, ge=1, le=32)  # symbols fetched at once per worker (one shared bucket)
    # The openalgo provider (docs/providers.md): the broker account it reads through by default (its name), the
    # exchange of symbols that are not NSE/BSE indices, and its politeness per OpenAlgo host.
    openalgo_account: str | None = None
    openalgo_exchange: Literal["NSE", "BSE"] = "NSE"
    openalgo_requests_per_second: float = Field(default=2.0, gt=0)
    openalgo_max_retries: int = Field(default=3, ge=0)
    synthetic_seed: int = 7
    synthetic_universe_size: int = Field(default=1200, ge=1, le=20000)
    # Fernet keys for broker API keys, comma-separated, newest first (docs/accounts.md); never shown.
    wheelhouse_secret_key: SecretStr | None = None
    # Where the embedded SQLite setup keeps its generated key when WHEELHOUSE_SECRET_KEY is unset
    # (default: $XDG_CONFIG_HOME/wheelhouse/secret.key, i.e. ~/.config/wheelhouse/secret.key).
    wheelhouse_secret_key_file: str | None = None
    account_timeout_seconds: float = Field(default=20.0, gt=0, description="per broker account, per sync or ping")
    account_failures_before_down: int = Field(default=3, ge=1, description="failed pings in a row -> down")
    # The sidecar's leader pings every active account this often (health, failover) and queues a sync of every
    # active account this often (core.accounts.kind; docs/accounts.md).
    account_ping_interval_seconds: int = Field(default=60, ge=5)
    account_sync_interval_minutes: int = Field(default=5, ge=1)
    # ...and, for accounts with a WebSocket URL, writes the feed's latest prices into positions this often.
    account_feed_flush_seconds: float = Field(default=5.0, ge=0.1)
    scanner_sandbox: Literal["required", "degraded"] = "required"
    # Sign-in (docs/security.md): a session lasts at most `session_hours`, and ends after `session_idle_minutes`
    # without a click. `trusted_proxy_count` reverse proxies in front of the dashboard append to X-Forwarded-For;
    # at 0 (the default) the header is ignored, since anyone can send it.
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    session_idle_minutes: float = Field(default=120.0, gt=0)
    trusted_proxy_count: int = Field(default=0, ge=0, le=5)
    # argon2id's cost for new password hashes (RFC 9106's low-memory profile by default: 3 passes, 64 MiB, 4 lanes).
    # A stored hash with other parameters still verifies and is rehashed at its next good sign-in, so these can be
    # raised at any time; the test suite lowers them so that a sign-in there costs milliseconds, not most of a second.
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65536, ge=1024)
    password_hash_parallelism: int = Field(default=4, ge=1, le=64)
    log_level: str = "INFO"
    # The Strategy Lab's optional assistant (docs/lab.md): an OpenAI-compatible chat endpoint (Ollama works);
    # unset, the assistant is not offered. The key is optional (a local server needs none) and never shown.
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(default=60.0, gt=0)

    # The sidecar (docs/sidecar.md); `python -m core.sync` flags override the first three it names.
    sidecar_poll_seconds: float = Field(default=2.0, gt=0)  # how often an idle sidecar looks for queued work
    sidecar_heartbeat_seconds: float = Field(default=30.0, gt=0)
    sidecar_leader_retry_seconds: float = Field(default=15.0, gt=0)  # a follower's try; the leader's lock check
    sidecar_schedule_refresh_seconds: float = Field(default=30.0, gt=0)  # how soon a schedule edit is noticed
    sidecar_misfire_grace_seconds: float = Field(default=300.0, gt=0)  # a job late by this much still runs
    sidecar_lease_seconds: float = Field(default=120.0, gt=0)
    sidecar_batch_size: int = Field(default=100, gt=0)  # symbols claimed, fetched and written together
    sidecar_backoff_max_seconds: float = Field(default=60.0, gt=0)  # back-off cap while the database is away
    sidecar_housekeeping_hours: float = Field(default=6.0, gt=0)
    sidecar_market_exchange: str = "XNYS"  # the calendar the periodic universe sync follows
    # How long housekeeping keeps each kind of row, in days.
    retention_history_days: int = Field(default=800, gt=0)
    retention_quarantine_days: int = Field(default=90, gt=0)
    retention_job_days: int = Field(default=30, gt=0)
    retention_resolved_error_days: int = Field(default=30, gt=0)
    retention_heartbeat_days: int = Field(default=7, gt=0)
    retention_track_record_days: int = Field(default=1095, gt=0)  # tracked screens' sessions and snapshots

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_default(cls, value, info):
        """An empty SIDECAR_* or RETENTION_* variable means "use the default", as an unset one does."""
        if info.field_name.startswith(("sidecar_", "retention_")) and isinstance(value, str) and not value.strip():
            raise PydanticUseDefault()
        return value

    @field_validator("wheelhouse_secret_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        from cryptography.fernet import Fernet

        if value is None or not value.get_secret_value().strip():
            return None
        for position, key in enumerate(value.get_secret_value().split(","), start=1):
            try:
                Fernet(key.strip())
            except ValueError:  # the key itself is never echoed
                raise ValueError(
                    f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes; make one with "
                    "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
                ) from None
        return value

    def secret_keys(self) -> list[str]:
        """The configured Fernet keys, newest first (empty when WHEELHOUSE_SECRET_KEY is unset)."""
        if self.wheelhouse_secret_key is None:
            return []
        return [k.strip() for k in self.wheelhouse_secret_key.get_secret_value().split(",") if k.strip()]

    @field_validator("database_url")
    @classmethod
    def _url_is_parseable(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"DATABASE_URL is not a database URL: {exc}") from None
        return value


class ConfigError(RuntimeError):
    """The environment holds a setting that cannot be used; the message names the variable and why."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once; tests call `get_settings.cache_clear()` after changing env)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
