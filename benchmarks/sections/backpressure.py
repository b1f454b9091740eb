"""Back-pressure (spec/protocol.md §14): a batch against a service of known capacity, fixed
concurrency against ``concurrency="auto"``, four adaptive clients at once, and the retry budget
against a service that answers 503 to everything.

The service is ``examples/capacity`` under ``eas serve`` in its own process: 2 workers × 5 ms,
queue 4, so it completes at most ~400 requests/s and answers 450 past 6 calls in flight. Its
measured capacity is the goodput of a fixed concurrency of exactly 6 (the most that never
overflows the queue; a caller who knows the service would pick it). Every figure comes from the
server's own counters (requests, statuses) and the client's results.

    python -m benchmarks.sections.backpressure [--quick]   # → benchmarks/results/backpressure.{md,png}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._common import ROOT, WORK, Result, server_cpu_prefix
from .._target import free_port, stop_process, track, wait_port

TITLE = "Back-pressure: fixed vs adaptive concurrency, retry budget (capacity service)"
GROUP = "backpressure"
APP = ROOT.parent / "examples" / "capacity"
RESULTS = ROOT / "results"
TOKEN = "bench-backpressure-token"
MAX_CONCURRENCY = 64
BUCKET_S = 0.25


@dataclass
class Run:
    """One batch: what the client got and what the server saw."""

    name: str
    inputs: int
    seconds: float
    failed: int
    statuses: dict[str, int]
    requests: int
    done_at: list[float] = field(default_factory=list)  # seconds from start of each success
    limits: list[tuple[float, int]] = field(default_factory=list)  # (seconds, allowed in flight)

    @property
    def goodput(self) -> float:
        return (self.inputs - self.failed) / self.seconds

    @property
    def refused_share(self) -> float:
        return (self.statuses.get("450", 0) + self.statuses.get("429", 0)) / max(1, self.requests)

    @property
    def extra_share(self) -> float:
        """Retries and put-backs: requests beyond one per input, as a share of all requests."""
        return max(0, self.requests - self.inputs) / max(1, self.requests)


@contextmanager
def _service(faults: dict[str, Any] | None = None) -> Iterator[str]:
    port = free_port()
    cmd = [
        sys.executable, "-m", "eas_client", "serve", str(APP / "app.py"),
        "--app-json", str(APP / "app.json"), "--port", str(port), "--token", TOKEN,
    ]  # fmt: skip
    if faults:
        cmd += ["--faults", json.dumps(faults)]
    proc = track(subprocess.Popen([*server_cpu_prefix(), *cmd], cwd=ROOT.parent, stdout=subprocess.DEVNULL))
    try:
        wait_port(port, proc, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


def _stats(base: str) -> dict[str, Any]:
    req = urllib.request.Request(base + "/_admin/stats", headers={"Authorization": TOKEN})
    with urllib.request.urlopen(req, timeout=10) as resp:
        data: dict[str, Any] = json.loads(resp.read())
    return data


class _Recorder:
    """Timestamps of successes and of the adaptive limit, taken by wrapping two private methods
    (measurement only: the client is not changed for the benchmark)."""

    def __init__(self) -> None:
        self.start = 0.0
        self.done_at: list[float] = []
        self.limits: list[tuple[float, int]] = []

    @contextmanager
    def watching(self) -> Iterator[_Recorder]:
        from eas_client import _adaptive_batch, _batch
        from eas_client._core import adaptive

        fixed_done, auto_record, observe = (
            _batch._Batch.done,
            _adaptive_batch.AdaptiveBatch._record,
            adaptive.Limiter.observe,
        )
        rec = self

        def done(batch: Any, index: int, value: Any, return_exceptions: bool) -> None:
            if not isinstance(value, BaseException):
                rec.done_at.append(time.monotonic() - rec.start)
            fixed_done(batch, index, value, return_exceptions)

        def record(batch: Any, index: int, value: Any) -> None:
            if not isinstance(value, BaseException):
                rec.done_at.append(time.monotonic() - rec.start)
            auto_record(batch, index, value)

        def watch(limiter: Any, **kw: Any) -> None:
            observe(limiter, **kw)
            rec.limits.append((time.monotonic() - rec.start, limiter.allowed))

        _batch._Batch.done = done  # type: ignore[method-assign,assignment]
        _adaptive_batch.AdaptiveBatch._record = record  # type: ignore[method-assign,assignment]
        adaptive.Limiter.observe = watch  # type: ignore[method-assign,assignment]
        self.start = time.monotonic()
        try:
            yield self
        finally:
            _batch._Batch.done = fixed_done  # type: ignore[method-assign]
            _adaptive_batch.AdaptiveBatch._record = auto_record  # type: ignore[method-assign]
            adaptive.Limiter.observe = observe  # type: ignore[method-assign]


def _batch(base: str, name: str, inputs: int, concurrency: Any, **options: Any) -> Run:
    from eas_client import AsyncEASClient

    rows = [f"row-{i}".encode() for i in range(inputs)]
    before = _stats(base)

    async def go() -> list[Any]:
        async with AsyncEASClient(base + "/api/predict/capacity", TOKEN, **options) as client:
            return await client.predict_many(rows, concurrency=concurrency)

    with _Recorder().watching() as rec:
        results = asyncio.run(go())
        seconds = time.monotonic() - rec.start
    after = _stats(base)
    assert [r for r in results if not isinstance(r, BaseException)] == [
        row for row, r in zip(rows, results, strict=True) if not isinstance(r, BaseException)
    ], "an answer landed at the wrong index"
    statuses = {k: v - before["statuses"].get(k, 0) for k, v in after["statuses"].items()}
    return Run(
        name,
        inputs,
        seconds,
        sum(isinstance(r, BaseException) for r in results),
        {k: v for k, v in statuses.items() if v},
        after["requests"] - before["requests"],
        rec.done_at,
        rec.limits,
    )


def _together(base: str, clients: int, inputs: int) -> list[float]:
    """``clients`` adaptive batches started at once; each one's goodput (items/s) and failures."""
    from eas_client import AsyncEASClient

    async def one(k: int) -> tuple[float, int]:
        rows = [f"c{k}-{i}".encode() for i in range(inputs)]
        async with AsyncEASClient(base + "/api/predict/capacity", TOKEN) as client:
            t0 = time.monotonic()
            results = await client.predict_many(rows, concurrency="auto")
            failed = sum(isinstance(r, BaseException) for r in results)
            return (inputs - failed) / (time.monotonic() - t0), failed

    async def go() -> list[tuple[float, int]]:
        return list(await asyncio.gather(*(one(k) for k in range(clients))))

    out = asyncio.run(go())
    return [rate for rate, _ in out] + [float(sum(failed for _, failed in out))]


def _all_503(calls: int, budget: bool) -> tuple[int, float, int]:
    """Attempts the server saw for ``calls`` calls (max_retries 3) against an all-503 service."""
    from eas_client import AsyncEASClient, RetryPolicy

    with _service({"rate_503": 1.0}) as base:

        async def go() -> int:
            options: dict[str, Any] = {} if budget else {"retry_budget": None}
            # 10 ms backoff base instead of 100 ms: the same attempts in a tenth of the time.
            policy = RetryPolicy(max_retries=3, backoff_base=0.01)
            async with AsyncEASClient(base + "/api/predict/capacity", TOKEN, retry=policy, **options) as c:
                await c.predict_many([b"x"] * calls, concurrency=MAX_CONCURRENCY)
                return c.retry_budget_denied

        t0 = time.monotonic()
        denied = asyncio.run(go())
        seconds = time.monotonic() - t0
        return int(_stats(base)["requests"]), seconds, denied


def measure(quick: bool) -> dict[str, Any]:
    """Two rounds of capacity / auto / refusals-only in rotating order (a shared machine drifts:
    compare within a round), one round of the rest."""
    from eas_client import AdaptiveConcurrency

    inputs = 500 if quick else 5000
    out: dict[str, Any] = {"inputs": inputs, "rounds": []}
    runs = {
        "capacity": ("fixed 6 (the measured capacity)", 6, {"max_retries": 0}),
        "auto": (f"auto (max {MAX_CONCURRENCY})", AdaptiveConcurrency(max=MAX_CONCURRENCY), {}),
        "auto_latency": (
            "auto + latency signal (latency_tolerance=2.0)",
            AdaptiveConcurrency(max=MAX_CONCURRENCY, latency_tolerance=2.0),
            {},
        ),
    }
    with _service() as base:
        _batch(base, "warm-up", 50, 4)
        for rnd in range(2):
            order = list(runs) if rnd == 0 else list(reversed(runs))
            out["rounds"].append(
                {k: _batch(base, runs[k][0], inputs, runs[k][1], **runs[k][2]) for k in order}
            )
        fixed = f"fixed {MAX_CONCURRENCY}"
        out["fixed"] = _batch(
            base, f"{fixed}, no budget (before)", inputs, MAX_CONCURRENCY, retry_budget=None
        )
        out["fixed_budget"] = _batch(base, f"{fixed} with the retry budget", inputs, MAX_CONCURRENCY)
        out["together"] = _together(base, 4, inputs // 4)
    calls = 300 if quick else 2000
    out["all_503"] = {"calls": calls, "budget": _all_503(calls, True), "none": _all_503(calls, False)}
    return out


def _rows(data: dict[str, Any]) -> list[tuple[str, Run, Run]]:
    """(round label, run, that round's capacity run) for the table, in reading order."""
    rows = []
    for i, rnd in enumerate(data["rounds"], 1):
        rows += [(str(i), rnd[k], rnd["capacity"]) for k in ("capacity", "auto", "auto_latency")]
    last = data["rounds"][-1]["capacity"]
    rows += [("3", data["fixed"], last), ("3", data["fixed_budget"], last)]
    return rows


def run(quick: bool) -> list[Result]:
    data = measure(quick)
    write_report(data, quick)
    return [
        Result(
            "backpressure", GROUP, f"{r.name} (round {label})", rps=r.goodput, runs=1, calls=r.inputs,
            extra={"failed": r.failed, "refused %": round(100 * r.refused_share, 1),
                   "vs capacity": round(r.goodput / cap.goodput, 2)},
        )
        for label, r, cap in _rows(data)
    ]  # fmt: skip


def write_report(data: dict[str, Any], quick: bool) -> None:
    # A quick run (make test's smoke run) must not overwrite the committed results of a full run.
    where = WORK / "results-quick" if quick else RESULTS
    where.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if quick else ""
    capacity = statistics.median(r["capacity"].goodput for r in data["rounds"])
    lines = [
        "# Back-pressure: fixed vs adaptive concurrency, retry budget",
        "",
        "Service: `examples/capacity` under `eas serve` (2 workers × 5 ms, queue 4: 450 past 6 in flight),",
        "its own process pinned to the server core when possible. Client: `AsyncEASClient.predict_many`,",
        f"{data['inputs']:,} inputs, max concurrency {MAX_CONCURRENCY}. Measured capacity: the goodput of a",
        f"fixed concurrency of 6, median {capacity:,.0f} items/s. Rounds 1 and 2 run the same three",
        "batches in opposite order; the machine is shared, so compare within a round. Command:",
        f"`python -m benchmarks.sections.backpressure{_flag(quick)}`.",
        "",
        "| round | run | seconds | failed items | goodput (items/s) | vs capacity | requests | 450/429 |"
        " retries + put-backs |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for label, r, cap in _rows(data):
        lines.append(
            f"| {label} | {r.name} | {r.seconds:.2f} | {r.failed} | {r.goodput:,.0f} | "
            f"{r.goodput / cap.goodput:.2f} | {r.requests:,} | {100 * r.refused_share:.1f}% | "
            f"{100 * r.extra_share:.1f}% |"
        )
    *rates, failed = data["together"]
    spread = max(rates) / min(rates)
    lines += [
        "",
        f"**Four adaptive clients at once** ({data['inputs'] // 4:,} inputs each): goodput "
        + ", ".join(f"{r:,.0f}" for r in rates)
        + f" items/s (total {sum(rates):,.0f}, {sum(rates) / capacity:.2f}× capacity); "
        f"fastest/slowest {spread:.2f}; failed items {int(failed)}.",
    ]
    a = data["all_503"]
    calls = a["calls"]
    attempts, seconds, denied = a["budget"]
    bound = 1.1 * calls + 100 + 10 * seconds
    lines += [
        "",
        f"**A service answering 503 to everything**, {calls:,} calls, max_retries 3, concurrency "
        f"{MAX_CONCURRENCY}, backoff base 10 ms: with the default budget {attempts:,} attempts in "
        f"{seconds:.1f} s ({denied:,} retries refused; bound (1 + 0.1) × calls + 100 + 10/s × "
        f"{seconds:.1f} s = {bound:,.0f}); without a budget {a['none'][0]:,} attempts "
        f"((1 + max_retries) × calls = {4 * calls:,}).",
        "",
        f"![in-flight limit and goodput over time](backpressure{suffix}.png)",
        "",
    ]  # fmt: skip
    (where / f"backpressure{suffix}.md").write_text("\n".join(lines), encoding="utf-8")
    _plot(data, where / f"backpressure{suffix}.png", capacity)


def _flag(quick: bool) -> str:
    return " --quick" if quick else ""


def _plot(data: dict[str, Any], path: Path, capacity: float) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True)
    last = data["rounds"][-1]
    for r, color in (
        (data["fixed"], "tab:red"),
        (last["auto"], "tab:blue"),
        (last["auto_latency"], "tab:cyan"),
    ):
        if r.limits:
            top.step(
                [t for t, _ in r.limits], [n for _, n in r.limits], where="post", color=color, label=r.name
            )
        else:
            top.plot([0, r.seconds], [MAX_CONCURRENCY] * 2, color=color, label=r.name)
        buckets = int(r.seconds / BUCKET_S) + 1
        counts = [0] * buckets
        for t in r.done_at:
            counts[min(buckets - 1, int(t / BUCKET_S))] += 1
        bottom.plot(
            [i * BUCKET_S for i in range(buckets)], [c / BUCKET_S for c in counts], color=color, label=r.name
        )
    top.axhline(6, color="gray", linestyle=":", label="workers + queue (6)")
    top.set_yscale("log", base=2)
    top.set_ylabel("calls allowed in flight")
    top.legend(fontsize=8)
    bottom.axhline(capacity, color="gray", linestyle=":", label=f"measured capacity ({capacity:,.0f}/s)")
    bottom.set_ylabel(f"goodput (items/s, {BUCKET_S:g} s buckets)")
    bottom.set_xlabel("seconds since the batch started")
    bottom.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 inputs instead of 5,000")
    args = parser.parse_args(argv)
    for r in run(args.quick):
        print(f"{r.name}: {r.rps:,.0f} items/s {r.extra}")
    where = WORK / "results-quick" if args.quick else RESULTS
    print(f"report: {where / ('backpressure' + _flag(args.quick).replace(' --', '-') + '.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
