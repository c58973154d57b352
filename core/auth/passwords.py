"""Password hashing (argon2id) and the password rules, each refusal naming the rule it broke.

Hashes are argon2id with the cost the settings name (`PASSWORD_HASH_TIME_COST`, `_MEMORY_KIB`,
`_PARALLELISM`; by default RFC 9106's low-memory profile, argon2-cffi's own defaults: 3 passes, 64 MiB, 4 lanes).
A stored hash made with other parameters still verifies and is replaced on the next successful sign-in
(`needs_rehash`), so changing the parameters later needs no migration.

The rules follow NIST SP 800-63B: a minimum length, no composition rules, and a refusal of what attackers try
first (common passwords and words, keyboard and alphabet runs, repeats, the username).
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.auth.errors import WeakPassword
from core.config import get_settings

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 takes any length; a cap keeps a pasted novel from costing memory and time
KEYBOARD_RUNS = (
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "qwertzuiop",
    "azertyuiop",
    "1q2w3e4r5t6y7u8i9o0p",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
    "abcdefghijklmnopqrstuvwxyz",
)
# Swaps people make to dress up a word ("P@ssw0rd"); undone before comparing with the common list.
_UNLEET = str.maketrans("0134578@$!", "oieastbasi")
_DRESSING = string.digits + string.punctuation + " "  # what people add around a word ("Welcome2025!")


def _hasher() -> PasswordHasher:
    """The hasher for the configured cost (one per distinct cost: tests change the settings between runs)."""
    settings = get_settings()
    return _hasher_for(
        settings.password_hash_time_cost, settings.password_hash_memory_kib, settings.password_hash_parallelism
    )


@cache
def _hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (salted; two calls give different strings)."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when `password` matches `stored_hash`; False for a mismatch or a malformed hash, never an error."""
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when `stored_hash` was made with other parameters than today's (rehash it after a good sign-in)."""
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so a wrong name takes as long as a wrong password."""
    return _dummy_hash_for(_hasher())


@cache
def _dummy_hash_for(hasher: PasswordHasher) -> str:
    return hasher.hash("no such user: compare against something")


@cache
def _common() -> frozenset[str]:
    lines = (Path(__file__).with_name("common_passwords.txt").read_text(encoding="utf-8")).splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _is_run(text: str) -> bool:
    """A keyboard or alphabet run, forwards or backwards ("qwertyuiop", "9876543210", "lkjhgfdsa")."""
    return any(text in run or text in run[::-1] for run in KEYBOARD_RUNS)


def _repeats_short_unit(text: str) -> bool:
    """Made of one unit of at most four characters, repeated ("abcabcabca", "12121212121")."""
    return any(text == (text[:size] * (len(text) // size + 1))[: len(text)] for size in range(1, 5))


def _cores(lowered: str) -> Iterator[str]:
    """The word a password may be dressed around: trimmed of digits and symbols, with and without swaps undone."""
    trimmed = lowered.strip(_DRESSING)
    yield trimmed
    yield trimmed.translate(_UNLEET)
    yield lowered.translate(_UNLEET).strip(_DRESSING)
    yield "".join(c for c in lowered if c.isalpha())


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why `password` is refused (one line), or None when it is acceptable."""
    if not password:
        return "a password is required"
    if len(password) < MIN_LENGTH:
        return f"password too short: use at least {MIN_LENGTH} characters (a few words make a good one)"
    if len(password) > MAX_LENGTH:
        return f"password too long: at most {MAX_LENGTH} characters"
    lowered = password.lower()
    if username and len(username) >= 3 and username.lower() in lowered:
        return "password contains the username"
    if len(set(lowered)) < 4:
        return "password uses too few different characters"
    if _repeats_short_unit(lowered):
        return "password repeats a short pattern"
    plain = lowered.translate(_UNLEET)
    if _is_run(lowered) or _is_run(plain):
        return "password is a keyboard or alphabet sequence"
    if lowered in _common() or plain in _common():
        return "password is one of the most common passwords"
    for core in _cores(lowered):
        if core in _common() or (len(core) >= 4 and _is_run(core)):
            return "password is a common word or sequence with digits or symbols added"
    return None


def check_password(password: str, username: str | None = None) -> None:
    """Raise `WeakPassword` naming the broken rule unless `password` is acceptable."""
    problem = password_problem(password, username)
    if problem:
        raise WeakPassword(problem)


def generate_password() -> str:
    """A random password that passes the rules (20 URL-safe characters, about 120 bits)."""
    while True:
        password = secrets.token_urlsafe(15)
        if password_problem(password) is None:
            return password
