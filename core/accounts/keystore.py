"""Broker API keys at rest: MultiFernet over WHEELHOUSE_SECRET_KEY, each ciphertext bound to its account.

The plaintext sealed for an account is `{"account": <id>, "key": <api key>}`; `Keyring.decrypt` refuses a
ciphertext whose account is not the row it was read from, so whoever can write the table still cannot move one
account's key to another account. Keys are newest first: new ciphertexts use the first, every key decrypts, and
`core.accounts.rotation` re-encrypts old ciphertexts under the first.

Where the keys come from (docs/accounts.md):
- WHEELHOUSE_SECRET_KEY, a comma list of Fernet keys, newest first. Required on PostgreSQL.
- On the embedded SQLite setup with nothing configured: a key file, created on the first stored key (mode
  0600, in ~/.config/wheelhouse/ or WHEELHOUSE_SECRET_KEY_FILE, never inside the repository), announced on
  stderr because losing it loses every stored key. A key is never generated silently per process (AlgoMirror's
  bug: every stored key lost at each restart). When WHEELHOUSE_SECRET_KEY is set later, the file's key is kept as
  the oldest key so `accounts rotate-keys` can move everything over.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.accounts.errors import KeyBindingError, KeyStoreError
from core.config import Settings, get_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
GENERATE_HINT = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


def mask_key(api_key: str | None) -> str | None:
    """`****` and the last four characters (only `****` for keys too short to spare four)."""
    if not api_key:
        return None
    return "****" + (api_key[-4:] if len(api_key) >= 12 else "")


class Keyring:
    """Encrypts and decrypts account keys with a list of Fernet keys, newest first."""

    def __init__(self, keys: list[str], *, source: str) -> None:
        if not keys:
            raise KeyStoreError("no secret key to encrypt broker API keys with")
        self._newest = Fernet(keys[0])
        self._all = MultiFernet([Fernet(k) for k in keys])
        self.source = source  # where the keys came from, for messages (never the keys)

    def encrypt(self, account_id: int, api_key: str) -> str:
        """A ciphertext of `api_key` that only account `account_id` may decrypt."""
        payload = json.dumps({"account": account_id, "key": api_key}).encode()
        return self._newest.encrypt(payload).decode()

    def decrypt(self, account_id: int, token: str) -> str:
        """The API key sealed in `token`, checked to belong to account `account_id`."""
        try:
            payload = json.loads(self._all.decrypt(token.encode()))
        except (InvalidToken, ValueError):
            raise KeyStoreError(
                f"the stored API key of account {account_id} cannot be decrypted with the secret key(s) from "
                f"{self.source} (a key missing from WHEELHOUSE_SECRET_KEY, or a lost key file): enter the key again"
            ) from None
        if not isinstance(payload, dict) or payload.get("account") != account_id:
            raise KeyBindingError(
                f"the stored API key of account {account_id} was encrypted for another account and is refused "
                "(ciphertexts cannot be moved between accounts): enter the key again"
            )
        return str(payload["key"])

    def is_current(self, token: str) -> bool:
        """True when `token` is already encrypted under the newest key."""
        try:
            self._newest.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def reencrypt(self, account_id: int, token: str) -> str:
        """`token` under the newest key, after checking it decrypts and belongs to the account."""
        return self.encrypt(account_id, self.decrypt(account_id, token))


def default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "wheelhouse" / "secret.key"


def key_file_path(settings: Settings | None = None) -> Path:
    """The key file of the embedded setup (WHEELHOUSE_SECRET_KEY_FILE, else ~/.config/wheelhouse/secret.key)."""
    settings = settings or get_settings()
    configured = settings.wheelhouse_secret_key_file
    return Path(configured).expanduser().resolve() if configured else default_key_file().resolve()


def keyring_for(dialect: str, *, create: bool = False, settings: Settings | None = None) -> Keyring:
    """The keyring for a database of `dialect` ('sqlite' or 'postgresql').

    `create` allows the SQLite setup to create its key file (only when a key is about to be stored).
    """
    settings = settings or get_settings()
    keys = settings.secret_keys()
    path = key_file_path(settings)
    if keys:
        file_key = _read_key_file(path) if path.is_file() else None
        if file_key and file_key not in keys:
            keys.append(file_key)  # the embedded setup's old key decrypts until `rotate-keys` has run
        return Keyring(keys, source="WHEELHOUSE_SECRET_KEY")
    if dialect != "sqlite":
        raise KeyStoreError(
            f"WHEELHOUSE_SECRET_KEY is not set: it is required to store or read broker API keys on {dialect} "
            f"(make one with {GENERATE_HINT})"
        )
    if path.is_file():
        return Keyring([_read_key_file(path)], source=str(path))
    if not create:
        raise KeyStoreError(
            f"no secret key: WHEELHOUSE_SECRET_KEY is unset and the key file {path} does not exist "
            "(it is created when the first account key is stored)"
        )
    return Keyring([_create_key_file(path)], source=str(path))


def _read_key_file(path: Path) -> str:
    try:
        key = path.read_text(encoding="ascii").strip()
        Fernet(key)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise KeyStoreError(
            f"the secret key file {path} is unreadable or not a Fernet key ({type(exc).__name__})"
        ) from None
    return key


def _create_key_file(path: Path) -> str:
    if path.is_relative_to(REPO_ROOT):
        raise KeyStoreError(
            f"refusing to create the secret key file inside the repository ({path}): "
            "set WHEELHOUSE_SECRET_KEY_FILE to a path outside it, or WHEELHOUSE_SECRET_KEY"
        )
    key = Fernet.generate_key().decode()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs, never a second key
        return _read_key_file(path)
    except OSError as exc:
        raise KeyStoreError(f"cannot create the secret key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    print(
        f"note: created the secret key file {path} (mode 0600). It encrypts every stored broker API key: back it "
        "up, because losing it loses every stored key (or set WHEELHOUSE_SECRET_KEY instead).",
        file=sys.stderr,
    )
    return key
