"""Keys at rest: the key file, MultiFernet order, binding to the account, configuration errors."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet

from core.accounts.errors import KeyBindingError, KeyStoreError
from core.accounts.keystore import Keyring, keyring_for, mask_key
from core.config import ConfigError, get_settings


def test_the_key_file_is_created_once_with_mode_0600_and_announced(key_file, capsys):
    first = keyring_for("sqlite", create=True)
    announced = capsys.readouterr().err
    assert str(key_file) in announced and "losing it loses every stored key" in announced
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    token = first.encrypt(7, "secret-api-key-1234")
    # a later process reads the same file: no new key, no announcement, old ciphertexts still decrypt
    again = keyring_for("sqlite", create=True)
    assert capsys.readouterr().err == ""
    assert again.decrypt(7, token) == "secret-api-key-1234"


def test_no_key_file_is_created_just_to_read(key_file):
    with pytest.raises(KeyStoreError, match="does not exist"):
        keyring_for("sqlite")
    assert not key_file.exists()


def test_postgresql_needs_a_configured_key():
    with pytest.raises(KeyStoreError, match="WHEELHOUSE_SECRET_KEY is not set: it is required .* on postgresql"):
        keyring_for("postgresql", create=True)


def test_the_key_file_is_never_put_inside_the_repository(monkeypatch):
    from core.accounts import keystore

    monkeypatch.setenv("WHEELHOUSE_SECRET_KEY_FILE", str(keystore.REPO_ROOT / "data" / "secret.key"))
    get_settings.cache_clear()
    with pytest.raises(KeyStoreError, match="refusing to create the secret key file inside the repository"):
        keyring_for("sqlite", create=True)


def test_a_malformed_secret_key_names_the_variable_not_the_value(monkeypatch):
    monkeypatch.setenv("WHEELHOUSE_SECRET_KEY", f"{Fernet.generate_key().decode()},hunter2-not-a-key")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="WHEELHOUSE_SECRET_KEY: key 2 is not a Fernet key") as raised:
        get_settings()
    assert "hunter2" not in str(raised.value)


def test_a_ciphertext_moved_to_another_account_is_refused():
    keyring = Keyring([Fernet.generate_key().decode()], source="test")
    token = keyring.encrypt(1, "key-of-account-one")
    assert keyring.decrypt(1, token) == "key-of-account-one"
    with pytest.raises(KeyBindingError, match="account 2 was encrypted for another account"):
        keyring.decrypt(2, token)


def test_old_keys_decrypt_and_new_ciphertexts_use_the_newest(set_secret_keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    set_secret_keys(old)
    token = keyring_for("postgresql").encrypt(3, "k" * 64)
    set_secret_keys(new, old)
    keyring = keyring_for("postgresql")
    assert keyring.decrypt(3, token) == "k" * 64 and not keyring.is_current(token)
    assert keyring.is_current(keyring.reencrypt(3, token))
    set_secret_keys(new)
    with pytest.raises(KeyStoreError, match="cannot be decrypted"):
        keyring_for("postgresql").decrypt(3, token)


def test_the_embedded_key_file_stays_as_the_oldest_key_once_a_key_is_configured(set_secret_keys):
    token = keyring_for("sqlite", create=True).encrypt(5, "from-the-file-era")
    set_secret_keys(Fernet.generate_key().decode())
    keyring = keyring_for("sqlite")
    assert keyring.decrypt(5, token) == "from-the-file-era" and not keyring.is_current(token)


def test_masks():
    assert mask_key("0123456789abcdef1234") == "****1234"
    assert mask_key("short") == "****"
    assert mask_key(None) is None
