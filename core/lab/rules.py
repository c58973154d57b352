"""A Strategy Lab config's rules: how many positions a day, how big, with what money, when to take profit, and
what to do with assigned shares. Plain values, checked once where they are made."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

OnAssignment = Literal["wheel", "sell"]
ON_ASSIGNMENT: tuple[str, ...] = ("wheel", "sell")


class InvalidRules(ValueError):
    """A rule out of range, named in the message."""


@dataclass(frozen=True)
class Rules:
    """per_day: new positions a day at most; contracts: per position; capital: dollars to start with;
    take_profit: percent of the premium captured that closes a position (None: hold to expiry);
    on_assignment: "wheel" (write covered calls on the shares) or "sell" (sell them at the close)."""

    per_day: int = 1
    contracts: int = 1
    capital: float = 100_000.0
    take_profit: float | None = None
    on_assignment: OnAssignment = "wheel"

    def __post_init__(self) -> None:
        if not isinstance(self.per_day, int) or not 1 <= self.per_day <= 100:
            raise InvalidRules(f"positions per day must be a whole number from 1 to 100, got {self.per_day!r}")
        if not isinstance(self.contracts, int) or not 1 <= self.contracts <= 1000:
            raise InvalidRules(f"contracts per symbol must be a whole number from 1 to 1000, got {self.contracts!r}")
        if not math.isfinite(self.capital) or self.capital <= 0:
            raise InvalidRules(f"capital must be a positive number of dollars, got {self.capital!r}")
        if self.take_profit is not None and not (math.isfinite(self.take_profit) and 0 < self.take_profit < 100):
            raise InvalidRules(f"take-profit is a capture in percent, above 0 and below 100, got {self.take_profit!r}")
        if self.on_assignment not in ON_ASSIGNMENT:
            raise InvalidRules(f"on assignment: choose wheel or sell, got {self.on_assignment!r}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Rules:
        known = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        return cls(**known)


__all__ = ["ON_ASSIGNMENT", "InvalidRules", "OnAssignment", "Rules"]
