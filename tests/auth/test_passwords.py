"""Password hashing (argon2id, rehash when parameters change) and the rules, each refusal with its reason."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from core.auth import WeakPassword
from core.auth.passwords import (
    check_password,
    generate_password,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from core.config import Settings, get_settings
from tests.conftest import TEST_PASSWORD_COST


def test_hash_is_argon2id_salted_and_verifies():
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, "correct horse battery")
    assert not verify_password(first, "correct horse batterY")
    assert not verify_password("not a hash", "correct horse battery")
    assert not needs_rehash(first)


def test_the_cost_is_rfc_9106s_low_memory_profile_unless_the_settings_say_otherwise(monkeypatch):
    defaults = {
        name: Settings.model_fields[f"password_hash_{name}"].default
        for name in ("time_cost", "memory_kib", "parallelism")
    }
    assert defaults == {"time_cost": 3, "memory_kib": 65536, "parallelism": 4}  # argon2-cffi's own defaults
    for name in TEST_PASSWORD_COST:
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    try:
        production = hash_password("correct horse battery")
        assert "$m=65536,t=3,p=4$" in production and not needs_rehash(production)
        monkeypatch.setenv("PASSWORD_HASH_TIME_COST", "2")
        monkeypatch.setenv("PASSWORD_HASH_MEMORY_KIB", "2048")
        get_settings.cache_clear()
        assert needs_rehash(production) and verify_password(production, "correct horse battery")
        assert "$m=2048,t=2,p=4$" in hash_password("correct horse battery")
    finally:
        get_settings.cache_clear()


def test_a_hash_made_with_other_parameters_needs_rehashing():
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse battery")
    assert verify_password(old, "correct horse battery")
    assert needs_rehash(old)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "a password is required"),
        ("Tr0ub4d&r", "too short"),
        ("x" * 257, "too long"),
        ("alice-rocks-the-house", "contains the username"),
        ("aaaaaaaaaaaa", "too few different characters"),
        ("abcdabcdabcd", "repeats a short pattern"),
        ("qwertyuiop", "keyboard or alphabet sequence"),
        ("9876543210", "keyboard or alphabet sequence"),
        ("1qaz2wsx3edc", "keyboard or alphabet sequence"),
        ("Password2024!", "common word"),
        ("P@ssw0rd1234", "common word"),
        ("!!Welcome2025", "common word"),
        ("wheelhouse99", "common word"),
        ("Qwerty123456", "common word or sequence"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    with pytest.raises(WeakPassword, match=reason):
        check_password(password, "alice")


@pytest.mark.parametrize("password", ["correct horse battery staple", "Tr0ub4dor&3x", "ab83927461!", "vK8#pz2!qLm"])
def test_good_passwords_pass(password):
    assert password_problem(password, "alice") is None


def test_generated_passwords_pass_the_rules_and_differ():
    made = {generate_password() for _ in range(20)}
    assert len(made) == 20
    assert all(password_problem(p, "admin") is None and len(p) >= 20 for p in made)
