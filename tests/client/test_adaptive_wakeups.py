"""The adaptive batch drivers wake one waiter per change (spec/protocol.md ADAPT-5 leaves the
waiting to the language): a pool woken on every answer spent more CPU waking than calling.

The drivers run here with a call that answers at once, and ``AdaptiveBatch.take`` counted:
with one wake-up per change, each item costs a bounded number of takes whatever ``max`` is."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from eas_client import AdaptiveConcurrency
from eas_client._adaptive_batch import AdaptiveBatch, Dispatch, run_adaptive_async, run_adaptive_sync
from eas_client._core.config import RetryPolicy

ITEMS = 400
WORKERS = 64


def _batch(takes: list[int]) -> AdaptiveBatch:
    batch = AdaptiveBatch(
        [f"row-{i}".encode() for i in range(ITEMS)],
        AdaptiveConcurrency(max=WORKERS, initial=2),  # nothing observed: the limit stays at 2
        RetryPolicy(),
        clock=time.time,
        monotonic=time.monotonic,
        rand=lambda: 0.5,
        tick=lambda *a, **k: None,
        return_exceptions=True,
    )
    take = batch.take

    def counted() -> Any:
        takes.append(1)
        return take()

    batch.take = counted  # type: ignore[method-assign]
    return batch


def test_async_dispatcher_takes_a_bounded_number_of_times_per_item() -> None:
    takes: list[int] = []
    batch = _batch(takes)

    async def call(item: object, hook: Dispatch) -> object:
        await asyncio.sleep(0)
        return item

    results = asyncio.run(run_adaptive_async(call, batch, WORKERS))
    assert results == [f"row-{i}".encode() for i in range(ITEMS)]
    # one take per dispatch, one per wake-up that found the limit full, and the last: 62 idle
    # workers woken per answer made about 60 per item
    assert len(takes) <= 3 * ITEMS, len(takes)


def test_sync_workers_take_a_bounded_number_of_times_per_item() -> None:
    takes: list[int] = []
    batch = _batch(takes)

    def call(item: object, hook: Dispatch) -> object:
        time.sleep(0.0005)  # long enough for the idle threads to be waiting
        return item

    results = run_adaptive_sync(call, batch, WORKERS)
    assert results == [f"row-{i}".encode() for i in range(ITEMS)]
    assert len(takes) <= 4 * ITEMS + WORKERS, len(takes)


@pytest.mark.parametrize("driver", ["sync", "async"])
def test_every_waiter_ends_when_the_batch_is_done(driver: str) -> None:
    batch = _batch([])
    if driver == "sync":
        assert len(run_adaptive_sync(lambda item, hook: item, batch, WORKERS)) == ITEMS
        assert threading.active_count() < WORKERS  # joined: none left waiting
    else:

        async def call(item: object, hook: Dispatch) -> object:
            return item

        assert len(asyncio.run(run_adaptive_async(call, batch, WORKERS))) == ITEMS
