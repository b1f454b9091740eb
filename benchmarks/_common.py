"""What every section shares: the Result record, the run settings, interleaved timing and CPU pinning.

Numbers on a shared 2-core machine drift by 10-30% within a minute, so contenders are never timed
one after another in blocks: each round runs every contender once, in an order rotated per round,
and a contender's figure is the median over rounds. Drift then hits all contenders alike and the
ratios stay meaningful even when the absolute numbers move.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
WORK = ROOT / ".work"
RESULTS = ROOT / "results"

# The request every contender sends: the quickstart input and a raw-token Authorization header.
BODY = b"2 105"
TOKEN = "bench-token"
SERVICE = "echo"
HEADERS = {"Authorization": TOKEN, "Content-Type": "application/octet-stream"}
EXPECTED = b"True"

# The client runs on core 0 and the servers on core 1 so they do not steal each other's time
# slices; with a single core both share it and the figures are labelled accordingly.
CLIENT_CPU = 0
SERVER_CPU = 1


class Skip(Exception):
    """A section (or contender) cannot run here; the message says why and goes into the report."""


@dataclass
class Settings:
    quick: bool
    sync_calls: int
    sync_warmup: int
    sync_rounds: int
    async_calls: int
    async_warmup: int
    async_rounds: int
    concurrency: int
    wrk_seconds: int
    wrk_runs: int
    deadline: float  # monotonic time after which optional work (installs) is skipped

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            # Sized so the whole quick run, installs included, stays well under 2 minutes.
            return cls(True, 400, 50, 2, 1000, 64, 1, 32, 1, 1, time.monotonic() + 100)
        # Sync: many short rounds rather than a few long ones, so a stall from another tenant spoils
        # one round's figure and the median discards it.
        return cls(False, 2000, 300, 11, 20000, 500, 3, 32, 5, 3, time.monotonic() + 3600)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


SETTINGS = Settings.make(quick=True)  # replaced by __main__ before any section runs


@dataclass
class Result:
    """One contender's figure. ``role`` marks the reference points ratios are computed against:
    ``raw`` (the raw engine of the same group), ``official`` (the official SDK), ``floor``
    (the fastest possible Python loop), ``ceiling`` (wrk, not a Python client)."""

    section: str
    group: str
    name: str
    rps: float | None = None
    p50_us: float | None = None
    p99_us: float | None = None
    role: str = ""
    runs: int = 0
    calls: int = 0
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sample:
    seconds: float
    calls: int
    latencies_ns: list[int] | None = None

    @property
    def rps(self) -> float:
        return self.calls / self.seconds


def pin_client_cpu() -> str:
    """Pin this process (and the children it starts later) to the client core."""
    cpus = os.cpu_count() or 1
    if cpus < 2 or not hasattr(os, "sched_setaffinity"):
        return "not pinned (fewer than 2 cores or no sched_setaffinity)"
    try:
        os.sched_setaffinity(0, {CLIENT_CPU})
    except OSError as exc:
        return f"not pinned ({exc})"
    return f"client on core {CLIENT_CPU}, servers on core {SERVER_CPU}"


def server_cpu_prefix() -> list[str]:
    """``taskset -c 1`` for server processes when pinning is possible, else nothing."""
    from shutil import which

    if (os.cpu_count() or 1) < 2 or which("taskset") is None:
        return []
    return ["taskset", "-c", str(SERVER_CPU)]


def time_sequential(call: Callable[[], object], calls: int) -> Sample:
    """Time ``calls`` back-to-back calls, keeping each call's latency."""
    lat = [0] * calls
    clock = time.perf_counter_ns
    gc.collect()  # a collection of the previous contender's garbage must not land in this one
    start = clock()
    for i in range(calls):
        t0 = clock()
        call()
        lat[i] = clock() - t0
    return Sample((clock() - start) / 1e9, calls, lat)


def interleave(
    contenders: Sequence[str], rounds: int, run_one: Callable[[str], Sample | None]
) -> dict[str, list[Sample]]:
    """Run every contender once per round, rotating the order each round; ``None`` = skipped."""
    samples: dict[str, list[Sample]] = {name: [] for name in contenders}
    for r in range(rounds):
        order = list(contenders[r % len(contenders) :]) + list(contenders[: r % len(contenders)])
        for name in order:
            sample = run_one(name)
            if sample is not None:
                samples[name].append(sample)
    return samples


def summarize(
    section: str, group: str, name: str, samples: list[Sample], *, role: str = "", note: str = ""
) -> Result:
    """Median over rounds of req/s and of each round's p50/p99 latency."""
    if not samples:
        return Result(section, group, name, role=role, note=note or "no samples")
    p50s: list[float] = []
    p99s: list[float] = []
    for s in samples:
        if s.latencies_ns:
            ordered = sorted(s.latencies_ns)
            p50s.append(ordered[len(ordered) // 2] / 1000)
            p99s.append(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1000)
    return Result(
        section,
        group,
        name,
        rps=statistics.median(s.rps for s in samples),
        p50_us=statistics.median(p50s) if p50s else None,
        p99_us=statistics.median(p99s) if p99s else None,
        role=role,
        runs=len(samples),
        calls=samples[0].calls,
        note=note,
    )
