"""The adaptive concurrency limiter of a batch (spec/protocol.md ADAPT-*), a pure state machine.

Events: ``acquire(now)`` asks for a slot; ``observe(...)`` reports one attempt's outcome and
latency with the ``epoch`` it was sent in; ``release()`` frees the slot. Time and jitter are passed
in, so ``spec/vectors/adaptive_limit.json`` replays the same sequence in every language.

Rule 1 (AIMD): a good sample grows the limit, by 1 while in slow start (doubling per round trip),
then by ``1/limit`` (one per round trip); a congestion signal multiplies it by ``backoff`` and ends
slow start. Only samples sent in the current epoch move the limit: the requests already in flight
when it was cut were sent under the old limit and say nothing new (one cut per round trip, and no
growth while the old requests drain, as TCP's fast recovery).
Rule 2: 429 and 450 (busy), 408, 503, 504 and a read timeout (overload) are congestion; with a
``latency_tolerance``, so is a 2xx whose latency passed that many times the baseline by at least
5 ms. Other outcomes leave the limit alone.
Rule 3: a busy or overload signal while the limit is already at ``min`` pauses new sends with a
full-jitter backoff (doubling per such signal in a row); a ``Retry-After`` on 429/450/503 pauses
at least that long. A good sample ends the streak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ConfigError

# The batch starts with a few calls in flight and doubles per round trip, so a big service is
# reached in a handful of round trips and a small one is not flooded by the first wave.
DEFAULT_ADAPTIVE_INITIAL = 4
# EAS's default instance queue holds 64 requests: more in flight from one batch only queues.
DEFAULT_ADAPTIVE_MAX = 64
# Halving on congestion drains a full queue within one round trip (TCP's factor); measured
# against the local runtime in benchmarks/results/backpressure.md.
DEFAULT_ADAPTIVE_BACKOFF = 0.5
# The latency signal is off unless asked for: on a shared host, CPU contention slows every call
# and the signal cut the limit for it (measured: goodput 0.42-0.63 of capacity in loaded rounds,
# against 0.87-1.06 on refusals alone; benchmarks/results/backpressure.md). When the service's
# latency is stable, 2.0 (twice the fastest recent latency: requests are queueing) is the value.
DEFAULT_LATENCY_TOLERANCE: float | None = None
# Queueing delay below this is noise on a shared host (scheduler, GC), not a queue worth a cut.
MIN_QUEUE_DELAY_S = 0.005
# The baseline (fastest recent latency) creeps up 0.1% per sample, so a service that became
# slower for good (bigger inputs) is re-learnt within a few thousand samples instead of cut
# forever. 1% let the baseline follow the queue up (measured: 4-5% of requests refused with 450
# against the local runtime, 0.1-0.2% at 0.1%; benchmarks/results/backpressure.md).
BASELINE_DRIFT = 0.001
# A batch at ``min`` that meets a full queue pauses at most this long (and never past the retry
# policy's backoff_max). Batches sharing a service each hold a slot or two, so one often sits at
# min while its neighbours refill the queue; pauses growing to backoff_max (5 s) starved it: four
# clients ended 1.45 apart, 1.03 with this cap (spec/protocol.md ADAPT-4).
DEFAULT_ADAPTIVE_MAX_PAUSE_S = 0.25
LIMIT_EPSILON = 1e-9

BUSY_STATUSES = frozenset({429, 450})
OVERLOAD_STATUSES = frozenset({408, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 450, 503})


@dataclass(frozen=True)
class AdaptiveConcurrency:
    """Tune ``predict_many(..., concurrency="auto")``: the in-flight limit moves between ``min``
    and ``max``, starting at ``initial``, cut by ``backoff`` when the service pushes back.
    ``latency_tolerance`` (default ``None``: off) also cuts when a call takes that many times the
    fastest recent one; use it (e.g. 2.0) for a service whose latency is stable. ``max_pause``
    (seconds) caps the pause a batch takes when even one call at a time is refused.

    Example::

        results = client.predict_many(rows, concurrency=AdaptiveConcurrency(max=32))
    """

    min: int = 1
    max: int = DEFAULT_ADAPTIVE_MAX
    initial: int | None = None
    backoff: float = DEFAULT_ADAPTIVE_BACKOFF
    latency_tolerance: float | None = DEFAULT_LATENCY_TOLERANCE
    max_pause: float = DEFAULT_ADAPTIVE_MAX_PAUSE_S

    def __post_init__(self) -> None:
        for name in ("min", "max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"AdaptiveConcurrency {name} must be an integer >= 1, got {value!r}")
        if self.max < self.min:
            raise ConfigError(
                f"AdaptiveConcurrency max ({self.max}) is below min ({self.min}); pass max >= min"
            )
        start = self.initial
        if start is not None and (
            isinstance(start, bool) or not isinstance(start, int) or not self.min <= start <= self.max
        ):
            raise ConfigError(
                f"AdaptiveConcurrency initial must be an integer between min ({self.min}) and "
                f"max ({self.max}), got {start!r}"
            )
        if not _finite(self.backoff) or not 0.0 < self.backoff < 1.0:
            raise ConfigError(
                f"AdaptiveConcurrency backoff must be a number in (0, 1) (the factor a cut keeps, "
                f"e.g. 0.5), got {self.backoff!r}"
            )
        tol = self.latency_tolerance
        if tol is not None and (not _finite(tol) or tol <= 1.0):
            raise ConfigError(
                f"AdaptiveConcurrency latency_tolerance must be a number > 1 (e.g. 2.0) or None "
                f"to ignore latency, got {tol!r}"
            )
        if not _finite(self.max_pause) or self.max_pause <= 0.0:
            raise ConfigError(
                f"AdaptiveConcurrency max_pause must be a number > 0 (seconds, e.g. 0.25), "
                f"got {self.max_pause!r}"
            )

    @property
    def start(self) -> int:
        if self.initial is not None:
            return self.initial
        return min(self.max, max(self.min, DEFAULT_ADAPTIVE_INITIAL))


@dataclass(frozen=True)
class Grant:
    """The answer to ``acquire``: a slot, or no slot and (when paused) seconds to wait."""

    granted: bool
    wait: float | None = None


class Limiter:
    """One batch's limiter. Not thread-safe: the batch holds a lock around it."""

    def __init__(
        self, cfg: AdaptiveConcurrency, *, pause_base: float, pause_max: float, retry_after_cap: float
    ) -> None:
        self.cfg = cfg
        self.limit = float(cfg.start)
        self.in_flight = 0
        self.epoch = 0
        self.slow_start = True
        self.baseline: float | None = None
        self.pause_until = 0.0
        self.streak = 0
        self._pause_base = pause_base
        self._pause_max = min(pause_max, cfg.max_pause)
        self._retry_after_cap = retry_after_cap

    @property
    def allowed(self) -> int:
        """The in-flight limit as a count of calls."""
        return max(self.cfg.min, math.floor(self.limit + LIMIT_EPSILON))

    def acquire(self, now: float) -> Grant:
        if now < self.pause_until:
            return Grant(False, self.pause_until - now)
        if self.in_flight >= self.allowed:
            return Grant(False)
        self.in_flight += 1
        return Grant(True)

    def release(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def observe(
        self,
        *,
        status: int | None,
        error: str | None,
        latency: float,
        epoch: int,
        now: float,
        rand: float,
        retry_after: float | None = None,
    ) -> None:
        """One attempt's outcome (a status, or a transport error kind) sent in ``epoch``."""
        if status is not None and 200 <= status <= 299:
            if self._congested(latency):
                self._cut(epoch)
            else:
                self.streak = 0
                if epoch == self.epoch:
                    self._grow()
            return
        if status in RETRY_AFTER_STATUSES and retry_after is not None:
            wait = min(max(0.0, retry_after), self._retry_after_cap)
            self.pause_until = max(self.pause_until, now + wait)
        if not (status in BUSY_STATUSES or status in OVERLOAD_STATUSES or error == "timeout"):
            return
        current, at_min = epoch == self.epoch, self.allowed <= self.cfg.min
        self._cut(epoch)
        if current and at_min:  # even one call at a time is refused: wait before the next
            self.streak += 1
            exponent = min(self.streak - 1, 62)
            wait = rand * min(self._pause_max, self._pause_base * 2.0**exponent)
            self.pause_until = max(self.pause_until, now + wait)

    def _congested(self, latency: float) -> bool:
        base = self.baseline
        self.baseline = latency if base is None else min(latency, base * (1.0 + BASELINE_DRIFT))
        tol = self.cfg.latency_tolerance
        if tol is None or base is None:
            return False
        return latency > tol * base and latency - base >= MIN_QUEUE_DELAY_S

    def _grow(self) -> None:
        if 2 * self.in_flight < self.allowed:  # the batch is not using its limit: no evidence
            return
        step = 1.0 if self.slow_start else 1.0 / self.limit
        self.limit = min(float(self.cfg.max), self.limit + step)

    def _cut(self, epoch: int) -> None:
        if epoch != self.epoch:  # sent before the last cut
            return
        self.limit = max(float(self.cfg.min), self.limit * self.cfg.backoff)
        self.epoch += 1
        self.slow_start = False


def _finite(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def resolve_concurrency(value: object) -> int | AdaptiveConcurrency:
    """predict_many's ``concurrency``: an integer >= 1 (fixed, BATCH-1), ``"auto"`` (the default
    limiter) or an :class:`AdaptiveConcurrency`; anything else is a ConfigError (ADAPT-1)."""
    if isinstance(value, AdaptiveConcurrency):
        return value
    if isinstance(value, str):
        if value == "auto":
            return AdaptiveConcurrency()
        raise ConfigError(
            f"concurrency must be an integer >= 1, 'auto' or AdaptiveConcurrency(...), got {value!r}"
        )
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"concurrency must be an integer >= 1, got {value!r} (or 'auto' to adapt to the service)"
        )
    return value
