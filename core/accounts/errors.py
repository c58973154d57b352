"""Named errors of the accounts capability. Every message is one line a user can act on and never holds a key."""

from __future__ import annotations


class AccountError(RuntimeError):
    """Base of every accounts error; the message is safe to print."""


class AccountNotFound(AccountError):
    """No account (or no user) of that name."""


class AccountExists(AccountError):
    """An account of that name already exists for the user."""


class InvalidAccountInput(AccountError):
    """A host URL, name or option that cannot be used, named in the message."""


# ---- keys at rest ----------------------------------------------------------------------------------------------
class KeyStoreError(AccountError):
    """Stored keys cannot be encrypted or decrypted (no secret key configured, wrong key)."""


class KeyBindingError(KeyStoreError):
    """A ciphertext was encrypted for another account: moved between rows, so refused."""


# ---- talking to OpenAlgo ---------------------------------------------------------------------------------------
class BrokerError(AccountError):
    """OpenAlgo answered with an error (the broker's own text, e.g. a session expired)."""


class BrokerUnreachable(BrokerError):
    """Nothing answered at the host (connection refused, unknown host)."""


class BrokerTimeout(BrokerError):
    """The host did not answer in time."""


class KeyRejected(BrokerError):
    """OpenAlgo refused the API key (HTTP 401/403: wrong key, or the broker session behind it is gone)."""


class BrokerServerError(BrokerError):
    """The host failed with a 5xx status and no readable reason."""


class InvalidReply(BrokerError):
    """The reply was not JSON, or not shaped as OpenAlgo documents it."""


# ---- CSV imports -----------------------------------------------------------------------------------------------
class ImportFileError(AccountError):
    """A positions or trades file that cannot be read; the message names the file and the line."""
