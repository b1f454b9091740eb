"""Fault injection for tests and demos: fixed rates of 503/450/429, added latency and dropped
connections, drawn from a seeded generator so a run can be repeated exactly.

Two kinds of dropped connection, because clients see them differently: ``rate_reset`` sends the
response head and then drops the connection (a broken response), ``rate_close`` resets the
connection (TCP RST) before a single response byte (what a crashed or restarted instance does)."""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass
from typing import Any

MAX_LATENCY_MS = 600_000


def _is_number(value: object) -> bool:
    """A finite int or float (not a bool, not NaN or infinity)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class FaultSpec:
    """Rates are probabilities in [0, 1] per request; ``retry_after`` is sent with 429/450/503."""

    rate_503: float = 0.0
    rate_450: float = 0.0
    rate_429: float = 0.0
    rate_reset: float = 0.0
    rate_close: float = 0.0
    latency_ms: int = 0
    retry_after: str | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        # Checked here, not where they are used: a bad value set through the admin API would
        # otherwise break every later call instead of the one that set it.
        rates = (self.rate_503, self.rate_450, self.rate_429, self.rate_reset, self.rate_close)
        if not all(_is_number(r) for r in rates):
            raise ValueError("fault rates must be numbers")
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates) > 1.0:
            raise ValueError("fault rates must be in [0, 1] and add up to at most 1")
        if not _is_number(self.latency_ms) or not 0 <= self.latency_ms <= MAX_LATENCY_MS:
            raise ValueError(
                f"latency_ms must be a number from 0 to {MAX_LATENCY_MS}, got {self.latency_ms!r}"
            )
        if self.retry_after is not None and (
            not isinstance(self.retry_after, str)
            or not self.retry_after.isascii()
            or not self.retry_after.isprintable()
        ):
            raise ValueError(f'retry_after must be a string such as "1" or null, got {self.retry_after!r}')
        if self.seed is not None and (not isinstance(self.seed, int) or isinstance(self.seed, bool)):
            raise ValueError(f"seed must be an integer or null, got {self.seed!r}")

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FaultSpec:
        unknown = set(doc) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}")
        return cls(**doc)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Faults:
    """The active spec and its generator; ``decide()`` is called once per predict request."""

    def __init__(self, spec: FaultSpec | None = None) -> None:
        self.set(spec or FaultSpec())

    def set(self, spec: FaultSpec) -> None:
        self.spec = spec
        self._rng = random.Random(spec.seed)

    def decide(self) -> tuple[str, int]:
        """("status", code), ("reset", 0), ("close", 0) or ("pass", 0)."""
        spec = self.spec
        if not (spec.rate_503 or spec.rate_450 or spec.rate_429 or spec.rate_reset or spec.rate_close):
            return ("pass", 0)
        draw = self._rng.random()
        for code, rate in ((503, spec.rate_503), (450, spec.rate_450), (429, spec.rate_429)):
            if draw < rate:
                return ("status", code)
            draw -= rate
        if draw < spec.rate_reset:
            return ("reset", 0)
        draw -= spec.rate_reset
        if draw < spec.rate_close:
            return ("close", 0)
        return ("pass", 0)
