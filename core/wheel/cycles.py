"""Wheel cycles derived from an account's trades: put sold -> expired or assigned (shares bought at the strike)
-> calls sold -> expired or called away (shares sold at the strike). Pure: trades in, cycles out, so deriving
twice gives the same cycles; `record_cycles` keeps the `strategies` / `strategy_deployments` rows in step.

The walk, per account and underlying, in time order (docs/wheel.md has a worked example):
- an option sale opens a leg (a cycle starts with the first leg while no shares are held); a purchase of the
  same contract closes it ("bought back"); long options (bought to open, then sold) are not the wheel and are
  left out;
- a share purchase at the strike of an open short put is its assignment; a share sale at the strike of an open
  short call is its call-away; other share trades are plain purchases or sales;
- an open leg whose expiry has passed without either ends "expired" (on a share trade, three days' grace for the
  assignment's settlement);
- a cycle ends when no shares are held and no leg is open; shares sold beyond those the cycle bought (a call
  written on shares held before the trades we have) end it too, and only their premium counts.
- a broker's transaction history (imported CSV) also reports the events themselves: an ASSIGNED row of a short
  option is its assignment (the shares change hands at the strike) and an EXPIRED row its expiry. The history
  usually reports the share trade of an assignment as well, on the same day or a few days apart, in either order:
  whichever of the two comes first makes the leg, and the other only adds its fees.
Money: premiums = option sales - purchases; share P&L = share sales - purchases (counted when the cycle has
ended); fees = the sum of the fees the cycle's trades report; realised P&L = premiums + share P&L - fees; cost
basis after premiums = (share cost - premiums + fees) / shares bought; capital = the largest cash the cycle tied
up (a put's strike x shares, or the shares' cost); annualised return = realised P&L / capital x 365 / days.
A trade without reported fees (OpenAlgo's tradebook reports none) is not a free trade: `fees_status` says
whether every trade of the cycle reported its fees (complete), some did (partial) or none did (unknown, and
`fees` is blank), so a P&L with unknown fees is never presented as net of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from core.accounts.instruments import OptionContract, parse_option_symbol

GRACE_DAYS = 3  # an assignment's share trade may be reported a settlement day or two after expiry
STRIKE_TOLERANCE = 0.005
EVENTS = ("ASSIGNED", "EXPIRED")  # broker-reported option events (imported transaction histories)


@dataclass(frozen=True)
class Fill:
    """One trade as the walk reads it (a `trades` row)."""

    account: str
    symbol: str
    action: str  # BUY / SELL, or ASSIGNED / EXPIRED (an option event a broker's history reports)
    quantity: int  # shares, or option units in shares of the underlying (one contract of 100 is 100)
    price: float
    when: dt.datetime  # the order of fills
    day: dt.date  # the exchange's calendar day of the fill (the legs' dates)
    fees: float | None = None  # commissions and fees; None: not reported


@dataclass(frozen=True)
class Leg:
    """One step of a cycle, for the table and the chart."""

    date: dt.date
    kind: str  # put sold, call sold, bought back, expired, assigned, called away, shares bought, shares sold
    symbol: str
    option_type: str | None
    strike: float | None
    expiry: dt.date | None
    quantity: int
    price: float | None  # per share; None for an expiry
    amount: float  # cash in (+) or out (-), before fees
    fees: float | None = None  # the fees its trades reported (None: none reported)


@dataclass
class Cycle:
    account: str
    underlying: str
    start: dt.date
    legs: list[Leg] = field(default_factory=list)
    end: dt.date | None = None
    premiums: float = 0.0
    share_cost: float = 0.0
    share_proceeds: float = 0.0
    shares_bought: int = 0
    capital: float = 0.0
    fees: float | None = None  # the sum of the fees its trades reported; None when none reported any
    fees_reported: int = 0  # trades of the cycle that reported their fees
    fees_unknown: int = 0  # trades of the cycle that did not (OpenAlgo's tradebook never does)
    shares_from_before: int = 0  # shares sold that were held before the trades we have (cost unknown)

    @property
    def fees_status(self) -> str:
        """complete (every trade reported its fees), partial (some did) or unknown (none did)."""
        if not self.fees_unknown:
            return "complete"
        return "partial" if self.fees_reported else "unknown"

    @property
    def status(self) -> str:
        return "open" if self.end is None else "closed"

    @property
    def outcome(self) -> str:
        kinds = {leg.kind for leg in self.legs}
        if "called away" in kinds:
            return "called away"
        if "assigned" in kinds:
            return "assigned" if self.end is None else "shares sold"
        return "open" if self.end is None else "puts only"

    @property
    def realized_pnl(self) -> float | None:
        if self.end is None:
            return None
        return self.premiums + self.share_proceeds - self.share_cost - (self.fees or 0.0)

    @property
    def days(self) -> int:
        return max(((self.end or self.start) - self.start).days, 1)

    @property
    def annualized_return(self) -> float | None:
        pnl = self.realized_pnl
        if pnl is None or self.capital <= 0:
            return None
        return pnl / self.capital * 365 / self.days * 100

    @property
    def cost_basis(self) -> float | None:
        if not self.shares_bought:
            return None
        return (self.share_cost - self.premiums + (self.fees or 0.0)) / self.shares_bought

    def to_json(self) -> dict:
        return {
            "account": self.account,
            "underlying": self.underlying,
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "status": self.status,
            "outcome": self.outcome,
            "days": self.days,
            "premiums": round(self.premiums, 2),
            "fees": None if self.fees is None else round(self.fees, 2),
            "fees_status": self.fees_status,
            "shares_bought": self.shares_bought,
            "shares_from_before": self.shares_from_before,
            "share_cost": round(self.share_cost, 2),
            "share_proceeds": round(self.share_proceeds, 2),
            "cost_basis": None if self.cost_basis is None else round(self.cost_basis, 4),
            "capital": round(self.capital, 2),
            "realized_pnl": None if self.realized_pnl is None else round(self.realized_pnl, 2),
            "annualized_return": None if self.annualized_return is None else round(self.annualized_return, 4),
            "legs": [
                {
                    "date": leg.date.isoformat(),
                    "kind": leg.kind,
                    "symbol": leg.symbol,
                    "option_type": leg.option_type,
                    "strike": leg.strike,
                    "expiry": leg.expiry.isoformat() if leg.expiry else None,
                    "quantity": leg.quantity,
                    "price": leg.price,
                    "amount": round(leg.amount, 2),
                    "fees": None if leg.fees is None else round(leg.fees, 2),
                }
                for leg in self.legs
            ],
        }


class _Walk:
    """The state of one account's underlying while its trades are read in order."""

    def __init__(self, account: str, underlying: str):
        self.account, self.underlying = account, underlying
        self.shares = 0
        self.open: dict[OptionContract, int] = {}  # short contract -> units still open
        self.long: dict[OptionContract, int] = {}  # bought, not to close a short: not the wheel, only counted
        self.cycle: Cycle | None = None
        self.done: list[Cycle] = []
        # an assignment made by one of its two reports (the ASSIGNED row, or the share trade at the strike) waits
        # here for the other, which only adds its fees: contract -> (shares, day, cycle, index of the leg, by)
        self.assignments: dict[OptionContract, tuple[int, dt.date, Cycle, int, str]] = {}
        self.expired: dict[OptionContract, tuple[Cycle, int]] = {}  # legs ended "expired", for a late EXPIRED row

    def _leg(self, day: dt.date, kind: str, contract: OptionContract | None, qty: int, price, amount: float):
        if self.cycle is None:
            self.cycle = Cycle(self.account, self.underlying, day)
        self.cycle.legs.append(
            Leg(
                day,
                kind,
                contract.symbol if contract else self.underlying,
                contract.option_type if contract else None,
                contract.strike if contract else None,
                contract.expiry if contract else None,
                qty,
                price,
                amount,
            )
        )

    @staticmethod
    def _charge(cycle: Cycle, index: int, fees: float | None) -> None:
        """Count one trade's fees into a leg of the cycle (known or not)."""
        if fees is None:
            cycle.fees_unknown += 1
            return
        cycle.fees_reported += 1
        cycle.fees = (cycle.fees or 0.0) + fees
        leg = cycle.legs[index]
        cycle.legs[index] = replace(leg, fees=(leg.fees or 0.0) + fees)

    def _charge_last(self, fees: float | None) -> None:
        self._charge(self.cycle, len(self.cycle.legs) - 1, fees)

    def expire(self, before: dt.date) -> None:
        for contract in sorted(self.open, key=lambda c: c.expiry):
            if contract.expiry < before:
                self._leg(contract.expiry, "expired", contract, self.open.pop(contract), None, 0.0)
                self.expired[contract] = (self.cycle, len(self.cycle.legs) - 1)
        self._maybe_close()

    def _maybe_close(self) -> None:
        if self.cycle is not None and self.shares == 0 and not self.open:
            self.cycle.end = max(leg.date for leg in self.cycle.legs)
            self.done.append(self.cycle)
            self.cycle = None

    def option(self, fill: Fill, contract: OptionContract) -> None:
        day = fill.day
        self.expire(day)
        if self._long_option(fill, contract):
            return
        amount = fill.price * fill.quantity
        if fill.action == "SELL":
            self._leg(day, f"{contract.option_type} sold", contract, fill.quantity, fill.price, amount)
            self._charge_last(fill.fees)
            self.open[contract] = self.open.get(contract, 0) + fill.quantity
            self.cycle.premiums += amount
            secured = sum(c.strike * q for c, q in self.open.items() if c.option_type == "put")
            self.cycle.capital = max(self.cycle.capital, secured + self.cycle.share_cost - self.cycle.share_proceeds)
        else:
            self._leg(day, "bought back", contract, fill.quantity, fill.price, -amount)
            self._charge_last(fill.fees)
            left = self.open.get(contract, 0) - fill.quantity
            if left > 0:
                self.open[contract] = left
            else:
                self.open.pop(contract, None)
            self.cycle.premiums -= amount
            self._maybe_close()

    def event(self, fill: Fill, contract: OptionContract) -> None:
        """An ASSIGNED or EXPIRED row of a broker's history (see the module doc)."""
        self.expire(fill.day - dt.timedelta(days=GRACE_DAYS))
        if fill.action == "EXPIRED":
            if contract in self.open:
                self._leg(contract.expiry, "expired", contract, self.open.pop(contract), None, 0.0)
                self._charge_last(fill.fees)
                self._maybe_close()
            elif contract in self.expired:  # already ended by the date: the row adds its fees
                self._charge(*self.expired.pop(contract), fill.fees)
            elif contract in self.long:
                self.long.pop(contract)
            return
        waiting = self.assignments.get(contract)
        if waiting is not None and waiting[4] == "shares":  # its share trade came first and made the leg
            del self.assignments[contract]
            self._charge(waiting[2], waiting[3], fill.fees)
            return
        if contract not in self.open:
            return  # a contract sold before the trades we have, or a long one exercised: not a cycle we follow
        shares = min(fill.quantity, self.open[contract]) if fill.quantity else self.open[contract]
        side = "BUY" if contract.option_type == "put" else "SELL"
        self._assign(fill.day, contract, shares, contract.strike, side, fill.fees, by="event")

    def _assign(self, day: dt.date, contract, quantity: int, price: float, side: str, fees, *, by: str) -> None:
        """Shares change hands at the strike: a put's assignment or a call's call-away."""
        left = self.open.get(contract, 0) - quantity
        if left > 0:  # some of the contracts assigned
            self.open[contract] = left
        else:
            self.open.pop(contract, None)
        amount = price * quantity
        kind = "assigned" if contract.option_type == "put" else "called away"
        self._leg(day, kind, contract, quantity, price, -amount if side == "BUY" else amount)
        self._charge_last(fees)
        self.assignments[contract] = (quantity, day, self.cycle, len(self.cycle.legs) - 1, by)
        self._move_shares(side, quantity, price)

    def _long_option(self, fill: Fill, contract: OptionContract) -> bool:
        """A purchase that closes no short, or a sale of what was so bought: a long option, not the wheel."""
        if fill.action == "BUY" and contract not in self.open:
            self.long[contract] = self.long.get(contract, 0) + fill.quantity
            return True
        held = self.long.get(contract, 0)
        if fill.action == "SELL" and held:
            self.long[contract] = max(held - fill.quantity, 0)
            return True
        return False

    def _reported_assignment(self, fill: Fill) -> OptionContract | None:
        """The assignment an ASSIGNED row already made that this share trade settles, if any."""
        kind = "call" if fill.action == "SELL" else "put"
        for contract, (shares, day, _, _, by) in self.assignments.items():
            if (
                by == "event"
                and contract.option_type == kind
                and shares == fill.quantity
                and abs(contract.strike - fill.price) <= STRIKE_TOLERANCE
                and abs((fill.day - day).days) <= GRACE_DAYS
            ):
                return contract
        return None

    def stock(self, fill: Fill) -> None:
        day = fill.day
        settled = self._reported_assignment(fill)
        if settled is not None:  # the share side of an ASSIGNED row: counted there, only its fees are new
            _, _, cycle, index, _ = self.assignments.pop(settled)
            self._charge(cycle, index, fill.fees)
            return
        if fill.action == "SELL" and self.shares < fill.quantity and not self.open:
            return  # shares held from before the tradebook: not part of a cycle we can follow
        kind = "call" if fill.action == "SELL" else "put"
        matched = next(
            (
                c
                for c in sorted(self.open, key=lambda c: c.expiry)
                if c.option_type == kind
                and abs(c.strike - fill.price) <= STRIKE_TOLERANCE
                and self.open[c] <= fill.quantity
                and c.expiry >= day - dt.timedelta(days=GRACE_DAYS)
            ),
            None,
        )
        self.expire(day - dt.timedelta(days=GRACE_DAYS))
        if matched is not None:
            self._assign(day, matched, fill.quantity, fill.price, fill.action, fill.fees, by="shares")
            self._maybe_close()
            return
        amount = fill.price * fill.quantity
        self._leg(day, "shares bought" if fill.action == "BUY" else "shares sold", None, fill.quantity,
                  fill.price, -amount if fill.action == "BUY" else amount)  # fmt: skip
        self._charge_last(fill.fees)
        self._move_shares(fill.action, fill.quantity, fill.price)
        self._maybe_close()

    def _move_shares(self, side: str, quantity: int, price: float) -> None:
        amount = price * quantity
        if side == "BUY":
            self.shares += quantity
            self.cycle.share_cost += amount
            self.cycle.shares_bought += quantity
            self.cycle.capital = max(self.cycle.capital, self.cycle.share_cost)
        else:
            # shares sold beyond those bought in the cycle were held from before the trades we have (a call
            # written on an imported holding): their cost is unknown, so their proceeds are no P&L of the cycle
            followed = min(quantity, self.shares)
            self.cycle.shares_from_before += quantity - followed
            self.shares -= followed
            self.cycle.share_proceeds += price * followed
        self._maybe_close()


def derive_cycles(fills: list[Fill], as_of: dt.date) -> list[Cycle]:
    """Every cycle of these trades (any accounts), oldest first per account and underlying; see the module doc."""
    walks: dict[tuple[str, str], _Walk] = {}
    # a broker's ASSIGNED / EXPIRED rows go before that moment's trades: a put sold the day the last one was
    # assigned must not find the old put still open
    for fill in sorted(fills, key=lambda f: (f.when, f.action not in EVENTS)):
        contract = parse_option_symbol(fill.symbol)
        underlying = contract.underlying if contract else fill.symbol.strip().upper()
        walk = walks.setdefault((fill.account, underlying), _Walk(fill.account, underlying))
        if contract is not None and fill.action in EVENTS:
            walk.event(fill, contract)
        elif contract is not None:
            walk.option(fill, contract)
        elif fill.action not in EVENTS:
            walk.stock(fill)
    cycles: list[Cycle] = []
    for key in sorted(walks):
        walk = walks[key]
        walk.expire(as_of)
        cycles.extend(walk.done)
        if walk.cycle is not None:
            cycles.append(walk.cycle)
    # a share purchase that no option ever touched is investing, not the wheel
    return [c for c in cycles if any(leg.option_type for leg in c.legs)]
