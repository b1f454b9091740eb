"""What the call loop needs for back-pressure (spec/protocol.md §14): the client's shared retry
budget with its lock and its warning, and the hook through which an adaptive batch watches each
attempt and takes back an item the service refused."""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from ._core.budget import BUDGET_WINDOW_S, BudgetState, RetryBudget
from ._core.errors import EASError, TransportError
from ._core.flow import RawResponse

logger = logging.getLogger("eas_client")


class SharedBudget:
    """One client's retry budget (BUDGET-1), shared by its threads, tasks and ``with_options``
    copies; the pure bucket lives in ``_core.budget``."""

    def __init__(self, budget: RetryBudget, now: float) -> None:
        self.budget = budget
        self._state = BudgetState(budget, now)
        self._lock = threading.Lock()
        self._warned_at: float | None = None

    @property
    def denied(self) -> int:
        return self._state.denied

    def first_attempt(self, now: float) -> None:
        with self._lock:
            self._state.first_attempt(now)

    def try_retry(self, now: float) -> bool:
        with self._lock:
            if self._state.try_retry(now):
                return True
            warn = self._warned_at is None or now - self._warned_at >= BUDGET_WINDOW_S
            if warn:
                self._warned_at = now
        if warn:
            logger.warning("eas retry budget exhausted: %s", self._detail())
        return False

    def _detail(self) -> str:
        b = self.budget
        return (
            f"retries are limited to {b.ratio * 100:g}% of calls + {b.min_per_s:g}/s; "
            "the service is failing most calls"
        )

    def note(self) -> str:
        return f"retry budget exhausted ({self._detail()})"

    def mark(self, error: EASError) -> EASError:
        """BUDGET-2: the error the refused retry leaves, saying why nothing followed."""
        error.budget_exhausted = True
        error.message = f"{error.message}; {self.note()}"
        error.args = (error.message,)
        return error


class BatchHook(Protocol):
    """An adaptive batch's view of one dispatch of an item (ADAPT-5)."""

    start: float  # monotonic time of the item's first dispatch: its deadline counts from here
    deposit: bool  # a first dispatch deposits in the budget; a put-back one does not (BUDGET-3)

    def epoch(self) -> int: ...

    def observe(self, result: RawResponse | TransportError, latency: float, epoch: int) -> None: ...


class PutBack(Exception):  # noqa: N818 - a control signal inside a batch, never raised to callers
    """The service refused an item of an adaptive batch with 450/429: the batch puts it back."""

    def __init__(self, error: EASError) -> None:
        super().__init__(error.message)
        self.error = error
