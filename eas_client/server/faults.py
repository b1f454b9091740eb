"""Fault injection for tests and demos: fixed rates of 503/450/429, added latency and dropped
connections, drawn from a seeded generator so a run can be repeated exactly.

Two kinds of dropped connection, because clients see them differently: ``rate_reset`` sends the
response head and then drops the connection (a broken response), ``rate_close`` resets the
connection (TCP RST) before a single response byte (what a crashed or restarted instance does)."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any, Literal

Verdict = tuple[Literal["status"], int] | tuple[Literal["reset"], int] | tuple[Literal["pass"], int]


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
        rates = (self.rate_503, self.rate_450, self.rate_429, self.rate_reset, self.rate_close)
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates) > 1.0:
            raise ValueError("fault rates must be in [0, 1] and add up to at most 1")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")

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
