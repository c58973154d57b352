"""`accounts rotate-keys`: re-encrypt every stored key under the newest secret key, in batches, idempotently.

Put the new key first in WHEELHOUSE_SECRET_KEY (keep the old ones after it), run this, then drop the old keys.
A ciphertext already under the newest key is left alone (counted as current), so a rerun rewrites nothing; one
that no key decrypts, or that belongs to another account, is counted as failed and left as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from core.accounts.errors import AccountError
from core.accounts.keystore import keyring_for
from core.db.engine import unit_of_work
from core.db.models import TradingAccount


@dataclass(frozen=True)
class RotationReport:
    rotated: int = 0
    current: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (account, why)


def rotate_keys(engine: Engine, *, batch_size: int = 100) -> RotationReport:
    """Re-encrypt every account key under the newest key, one transaction per batch of `batch_size` accounts."""
    keyring = keyring_for(engine.dialect.name)
    rotated = current = 0
    failures: list[tuple[str, str]] = []
    last_id = 0
    while True:
        with unit_of_work(engine, write=True) as session:
            batch = session.scalars(
                select(TradingAccount)
                .where(TradingAccount.id > last_id, TradingAccount.api_key_encrypted.is_not(None))
                .order_by(TradingAccount.id)
                .limit(max(1, batch_size))
            ).all()
            for account in batch:
                try:
                    if keyring.is_current(account.api_key_encrypted):
                        keyring.decrypt(account.id, account.api_key_encrypted)  # still check it is this account's
                        current += 1
                    else:
                        account.api_key_encrypted = keyring.reencrypt(account.id, account.api_key_encrypted)
                        rotated += 1
                except AccountError as exc:
                    failures.append((account.account_name, str(exc)))
        if not batch:
            break
        last_id = batch[-1].id
    return RotationReport(rotated=rotated, current=current, failed=len(failures), failures=failures)
