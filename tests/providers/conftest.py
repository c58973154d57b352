"""Fixtures for the openalgo provider's sync tests: the accounts tests' key file, secret keys, local OpenAlgo
servers and owners, and a database synced through an NSE-like broker account."""

from __future__ import annotations

import pytest

# The accounts tests' fixtures: a private key file, secret keys per backend, local OpenAlgo servers, owners.
from tests.accounts.conftest import (  # noqa: F401
    add_account,
    db,
    key_file,
    make_user,
    openalgo,
    servers,
    set_secret_keys,
)
from tests.providers.openalgo_books import NseAccount, sync_nse_account


@pytest.fixture
def nse(db, make_user, openalgo, add_account, monkeypatch) -> NseAccount:  # noqa: F811 (the accounts fixtures above)
    """Nisha (a trader) with one account at the local OpenAlgo server holding 120 INFY and short one INFY call
    lot; her books synced, then INFY, NIFTY, YESBANK and an unknown symbol synced through that account (at 100
    requests a second: the local server has no limit to respect, and the default 2 a second costs 6 s a test)."""
    from core.config import get_settings

    monkeypatch.setenv("OPENALGO_REQUESTS_PER_SECOND", "100")
    get_settings.cache_clear()
    try:
        return sync_nse_account(db, make_user, openalgo, add_account)
    finally:
        get_settings.cache_clear()
