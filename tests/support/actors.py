"""Actors for service tests: one per role, none of them a row of `users` (activity rows name them, no id)."""

from core.auth import Actor, Role

VIEWER = Actor(None, "vera", Role.VIEWER)
TRADER = Actor(None, "tom", Role.TRADER)
ADMIN = Actor(None, "ada", Role.ADMIN)
