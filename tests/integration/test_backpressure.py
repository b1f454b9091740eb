"""Back-pressure against the real local runtime over real sockets (spec/protocol.md §14): a
service of known capacity (2 workers × 5 ms, queue 4: 450 from the seventh call in flight), fixed
concurrency against ``concurrency="auto"``, and the retry budget against a service that fails
every call. Margins are wide: the machine is shared, only the shape of the outcome is asserted."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import pytest

from eas_client import (
    AdaptiveConcurrency,
    AsyncEASClient,
    EASClient,
    QueueFullError,
    RateLimitError,
    RetryBudget,
    ServiceUnavailableError,
)
from eas_client.server.faults import FaultSpec
from eas_client.testing import LocalRuntime

CAPACITY_APP = Path(__file__).resolve().parents[2] / "examples" / "capacity" / "app.py"
TOKEN = "backpressure-token"
ROWS = [f"row-{i}".encode() for i in range(240)]


@pytest.fixture(scope="module")
def small_service() -> Any:
    with LocalRuntime(CAPACITY_APP, token=TOKEN, worker_threads=2, queue_size=4) as rt:
        yield rt


def _statuses(rt: LocalRuntime) -> dict[str, int]:
    return dict(rt.stats()["statuses"])


def _run_batch(
    rt: LocalRuntime, is_async: bool, concurrency: int | AdaptiveConcurrency
) -> tuple[list[Any], dict[str, int]]:
    before = _statuses(rt)
    if is_async:

        async def go() -> list[Any]:
            async with AsyncEASClient(rt.endpoint, TOKEN, max_retries=0) as client:
                return await client.predict_many(ROWS, concurrency=concurrency)

        results = asyncio.run(go())
    else:
        with EASClient(rt.endpoint, TOKEN, max_retries=0) as client:
            results = client.predict_many(ROWS, concurrency=concurrency)
    assert rt.wait_idle()
    after = _statuses(rt)
    return results, {k: after.get(k, 0) - before.get(k, 0) for k in after}


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_fixed_concurrency_past_the_queue_fails_items_with_450(small_service: Any, is_async: bool) -> None:
    results, seen = _run_batch(small_service, is_async, 32)
    failed = [r for r in results if isinstance(r, BaseException)]
    assert failed and all(isinstance(r, QueueFullError) for r in failed)
    assert seen.get("450", 0) == len(failed)  # max_retries=0: one refusal per failed item


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_auto_concurrency_fails_no_item_and_keeps_order(small_service: Any, is_async: bool) -> None:
    results, seen = _run_batch(small_service, is_async, AdaptiveConcurrency(max=32))
    assert results == ROWS  # every row echoed, in input order, although max_retries=0
    refused = seen.get("450", 0)
    assert seen.get("200", 0) == len(ROWS)
    assert refused <= len(ROWS) // 2, seen  # wide margin: the benchmark measures the real share


def test_auto_batch_cancelled_reports_every_item(small_service: Any) -> None:
    async def go() -> Any:
        async with AsyncEASClient(small_service.endpoint, TOKEN) as client:
            task = asyncio.ensure_future(client.predict_many(ROWS, concurrency="auto"))
            await asyncio.sleep(0.05)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError as exc:
                return exc
            raise AssertionError("the batch was not cancelled")

    async def caught() -> Any:
        # A caller that catches the cancellation inside its own coroutine sees every outcome.
        seen: list[BaseException] = []
        async with AsyncEASClient(small_service.endpoint, TOKEN) as client:

            async def batch() -> None:
                try:
                    await client.predict_many(ROWS, concurrency="auto")
                except asyncio.CancelledError as exc:
                    seen.append(exc)
                    raise

            task = asyncio.ensure_future(batch())
            await asyncio.sleep(0.05)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return seen[0]

    assert isinstance(asyncio.run(go()), asyncio.CancelledError)
    err = asyncio.run(caught())
    results = err.results
    assert len(results) == len(ROWS)
    done = [r for r in results if not isinstance(r, BaseException)]
    cancelled = [r for r in results if isinstance(r, asyncio.CancelledError)]
    assert len(done) + len(cancelled) == len(ROWS) and cancelled
    assert all(results[i] == ROWS[i] for i in range(len(ROWS)) if not isinstance(results[i], BaseException))
    assert small_service.wait_idle()


def test_retry_budget_bounds_attempts_against_a_failing_service() -> None:
    calls = 150
    budget = RetryBudget(ratio=0.1, min_per_s=1.0)
    with LocalRuntime(CAPACITY_APP, token=TOKEN, faults=FaultSpec(rate_503=1.0, retry_after="0")) as rt:
        started = time.monotonic()
        with EASClient(rt.endpoint, TOKEN, max_retries=3, retry_budget=budget) as client:
            outcomes = client.predict_many([b"x"] * calls, concurrency=4)
            denied = client.retry_budget_denied
        elapsed = time.monotonic() - started
        attempts = rt.stats()["requests"]
    assert all(isinstance(o, ServiceUnavailableError) for o in outcomes)
    bound = (1 + budget.ratio) * calls + budget.capacity + budget.min_per_s * elapsed
    assert attempts <= bound, (attempts, bound)
    assert attempts < (1 + 3) * calls / 2  # far below what max_retries alone allows
    assert denied > 0
    assert sum(o.budget_exhausted for o in outcomes) == denied
    assert all("retry budget exhausted" in str(o) for o in outcomes if o.budget_exhausted)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_auto_concurrency_rides_a_429_quota_without_failing_items(
    is_async: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EAS_RATE_LIMIT", "150")  # far below the 400/s the workers could do
    rows = ROWS[:120]
    with LocalRuntime(CAPACITY_APP, token=TOKEN, worker_threads=2, queue_size=4) as rt:
        with EASClient(rt.endpoint, TOKEN, max_retries=0) as client:
            fixed = client.predict_many(rows, concurrency=6)
        assert any(isinstance(r, RateLimitError) for r in fixed)  # the quota is real
        if is_async:

            async def go() -> list[Any]:
                async with AsyncEASClient(rt.endpoint, TOKEN, max_retries=0) as aclient:
                    return await aclient.predict_many(rows, concurrency="auto")

            results = asyncio.run(go())
        else:
            with EASClient(rt.endpoint, TOKEN, max_retries=0) as client:
                results = client.predict_many(rows, concurrency="auto")
    assert results == rows
