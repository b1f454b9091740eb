"""The per-client retry budget (spec/protocol.md BUDGET-*), a pure token bucket.

Rule 1: the bucket holds at most ``capacity = max(1, min_per_s * BUDGET_WINDOW_S)`` tokens and
starts full. Time adds ``min_per_s`` tokens per second; each call's first attempt adds ``ratio``.
Rule 2: a retry takes one token; with less than one token (``balance < 1 - 1e-9``, so ten deposits
of 0.1 pay for a retry despite binary rounding) the retry is refused and ``denied`` grows.
Rule 3: time that runs backwards adds nothing (the last time seen stays).

So over any run of ``T`` seconds with ``N`` calls the retries made are at most
``capacity + ratio * N + min_per_s * T``: retries stay a share of the calls, however badly the
service fails, and a trickle still probes a service that is down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ConfigError

# Retries may add 10% to the calls a client makes: enough to ride out scattered failures, too
# little to turn an overloaded service's failures into a retry storm (Finagle's and the AWS SDKs'
# choice of budget share as well).
DEFAULT_BUDGET_RATIO = 0.1
# A client making few calls still gets 10 retries a second, so a single caller whose occasional
# request fails is never refused a retry by a budget sized for batch traffic.
DEFAULT_BUDGET_MIN_PER_S = 10.0
# The bucket holds ten seconds of the floor: a burst of failures after a quiet spell can spend
# that much at once, and no more, however long the client was idle or healthy.
BUDGET_WINDOW_S = 10.0
# Ten deposits of 0.1 add up to 0.9999999999999999 in binary floating point.
BUDGET_EPSILON = 1e-9


@dataclass(frozen=True)
class RetryBudget:
    """How many retries a client may make: ``ratio`` of its calls plus ``min_per_s`` a second.

    Example::

        client = EASClient(endpoint, token, retry_budget=RetryBudget(ratio=0.2, min_per_s=5))
        client = EASClient(endpoint, token, retry_budget=None)  # no budget: retries per call only
    """

    ratio: float = DEFAULT_BUDGET_RATIO
    min_per_s: float = DEFAULT_BUDGET_MIN_PER_S

    def __post_init__(self) -> None:
        if not _number(self.ratio) or not 0.0 <= self.ratio <= 1.0:
            raise ConfigError(
                f"retry budget ratio must be a number in [0, 1] (the share of calls that may be "
                f"retried, e.g. 0.1), got {self.ratio!r}"
            )
        if not _number(self.min_per_s) or self.min_per_s <= 0:
            raise ConfigError(
                f"retry budget min_per_s must be a finite number > 0 (retries allowed per second "
                f"whatever the ratio, e.g. 10); pass retry_budget=None to turn the budget off, "
                f"got {self.min_per_s!r}"
            )

    @property
    def capacity(self) -> float:
        return max(1.0, self.min_per_s * BUDGET_WINDOW_S)


class BudgetState:
    """One client's bucket. Not thread-safe: the client holds a lock around it."""

    __slots__ = ("budget", "balance", "updated", "denied")

    def __init__(self, budget: RetryBudget, now: float) -> None:
        self.budget = budget
        self.balance = budget.capacity
        self.updated = now
        self.denied = 0

    def _refill(self, now: float) -> None:
        if now > self.updated:
            gained = self.budget.min_per_s * (now - self.updated)
            self.balance = min(self.budget.capacity, self.balance + gained)
            self.updated = now

    def first_attempt(self, now: float) -> None:
        """A call starts: deposit ``ratio`` (a CONN-1 resend or a batch requeue is not one)."""
        self._refill(now)
        self.balance = min(self.budget.capacity, self.balance + self.budget.ratio)

    def try_retry(self, now: float) -> bool:
        """Take one token for a retry; ``False`` (and ``denied`` + 1) when there is none."""
        self._refill(now)
        if self.balance >= 1.0 - BUDGET_EPSILON:
            self.balance = max(0.0, self.balance - 1.0)
            return True
        self.denied += 1
        return False


def _number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
