"""predict_many with adaptive concurrency (spec/protocol.md ADAPT-5, ADAPT-6) for both twins.

``AdaptiveBatch`` is the scheduler: inputs are read lazily, an item is dispatched only when the
core's :class:`Limiter` grants a slot, an item the service refused with 450/429 goes back to the
front of the queue (its retries untouched) until its deadline would pass, and each result lands
at its input's index. ``run_adaptive_sync`` (threads waiting on a condition) and
``run_adaptive_async`` (one dispatcher task waiting on an event) only wait and call; the
scheduler decides.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sized
from dataclasses import dataclass
from typing import Any

from ._backpressure import PutBack
from ._core.adaptive import AdaptiveConcurrency, Limiter
from ._core.config import RetryPolicy
from ._core.errors import DeadlineExceededError, EASError, TransportError
from ._core.flow import RawResponse
from ._core.retry import header_value, parse_retry_after

_PENDING: Any = object()


@dataclass
class Job:
    """One dispatch of one item; ``start`` is its first dispatch's time (its deadline's origin)."""

    index: int
    item: object
    start: float | None = None
    deposit: bool = True
    last_error: EASError | None = None  # the 450/429 that put it back


class Dispatch:
    """The hook ``BaseClient._flow`` calls for each attempt of a dispatched item."""

    __slots__ = ("batch", "start", "deposit")

    def __init__(self, batch: AdaptiveBatch, job: Job) -> None:
        self.batch = batch
        self.start = job.start if job.start is not None else 0.0
        self.deposit = job.deposit

    def epoch(self) -> int:
        return self.batch.limiter.epoch

    def observe(self, result: RawResponse | TransportError, latency: float, epoch: int) -> None:
        self.batch.observe(result, latency, epoch)


class AdaptiveBatch:
    """The scheduler shared by the workers of one batch; every method runs under ``lock``."""

    def __init__(
        self,
        inputs: Iterable[object],
        limits: AdaptiveConcurrency,
        policy: RetryPolicy,
        *,
        clock: Callable[[], float],
        monotonic: Callable[[], float],
        rand: Callable[[], float],
        tick: Callable[..., None],
        return_exceptions: bool,
    ) -> None:
        self.limiter = Limiter(
            limits,
            pause_base=policy.backoff_base,
            pause_max=policy.backoff_max,
            retry_after_cap=policy.retry_after_cap,
        )
        self.lock = threading.Lock()
        self.changed: Callable[[], None] = lambda: None  # the driver's wake-up, called under lock
        self.results: list[Any] = []
        self.failure: BaseException | None = None
        self.stopped = False
        self._deadline = policy.deadline
        self._total = len(inputs) if isinstance(inputs, Sized) else None
        self._items: Iterator[tuple[int, object]] = enumerate(inputs)
        self._exhausted = False
        self._queue: deque[Job] = deque()
        self._clock, self._monotonic, self._rand = clock, monotonic, rand
        self._tick = tick
        self._return_exceptions = return_exceptions

    def take(self) -> Job | float | None:
        """A job to dispatch now; else seconds to wait (``inf``: until something changes), or
        ``None`` when this worker is done."""
        while True:
            if self.stopped or (self.failure is not None):
                return None
            job = self._peek()
            if job is None:  # nothing left to send: done once nothing in flight can come back
                return None if self.limiter.in_flight == 0 else float("inf")
            now = self._monotonic()
            if self._expired(job, now):
                continue
            grant = self.limiter.acquire(now)
            if not grant.granted:
                return float("inf") if grant.wait is None else grant.wait
            self._queue.popleft()
            if job.start is None:
                job.start = now
            return job

    def _peek(self) -> Job | None:
        if not self._queue and not self._exhausted:
            try:
                index, item = next(self._items)
            except StopIteration:
                self._exhausted = True
            else:
                self.results.append(_PENDING)
                self._queue.append(Job(index, item))
        return self._queue[0] if self._queue else None

    def _expired(self, job: Job, now: float) -> bool:
        """A put-back item whose deadline passed while it waited fails without being sent."""
        last = job.last_error
        if last is None or self._deadline is None or job.start is None:
            return False
        if now < job.start + self._deadline:
            return False
        self._queue.popleft()
        self._record(job.index, self._busy_deadline(last))
        return True

    def observe(self, result: RawResponse | TransportError, latency: float, epoch: int) -> None:
        if isinstance(result, RawResponse):
            status, error = result.status, None
            retry_after = parse_retry_after(header_value(result.headers, "Retry-After"), self._clock())
        else:
            status, error, retry_after = None, result.cause_kind, None
        with self.lock:
            self.limiter.observe(
                status=status,
                error=error,
                latency=latency,
                epoch=epoch,
                now=self._monotonic(),
                rand=self._rand(),
                retry_after=retry_after,
            )
            self.changed()

    def finish(self, job: Job, value: Any) -> None:
        self.limiter.release()
        self._record(job.index, value)

    def put_back(self, job: Job, error: EASError) -> None:
        """ADAPT-5: back to the front of the queue, unless the deadline would pass first."""
        self.limiter.release()
        assert job.start is not None
        earliest = max(self._monotonic(), self.limiter.pause_until)
        if self._deadline is not None and earliest >= job.start + self._deadline:
            self._record(job.index, self._busy_deadline(error))
            return
        job.deposit = False
        job.last_error = error
        self._queue.appendleft(job)
        self.changed()

    def _busy_deadline(self, error: EASError) -> DeadlineExceededError:
        return DeadlineExceededError(
            f"deadline of {self._deadline}s ran out while the service was busy; last error: {error.message}",
            last_error=error,
            endpoint=error.endpoint,
            attempts=error.attempts,
        )

    def _record(self, index: int, value: Any) -> None:
        self.results[index] = value
        if isinstance(value, BaseException) and not self._return_exceptions and self.failure is None:
            self.failure = value
        self._tick(1)
        self.changed()

    def outcome(self) -> list[Any]:
        self._tick(0, close=True)
        if self.failure is not None:
            raise self.failure
        return self.results

    def cancelled_results(self) -> list[Any]:
        """ADAPT-6: every item not finished is reported as cancelled, none is left out. Inputs of
        unknown length (a generator) are not read further: their unread items are not reported."""
        self.stopped = True
        unread = self._total - len(self.results) if self._total is not None else 0
        return [asyncio.CancelledError() if r is _PENDING else r for r in self.results] + [
            asyncio.CancelledError() for _ in range(unread)
        ]


def run_adaptive_sync(
    call: Callable[[object, Dispatch], Any], batch: AdaptiveBatch, workers: int
) -> list[Any]:
    cond = threading.Condition(batch.lock)
    # One waiter per change, not all of them: a batch of 64 threads woken on every answer spent
    # more CPU waking than calling. A thread that got a job passes the wake-up on, in case the
    # change freed more than one slot; one that is refused keeps it (nothing more to take).
    batch.changed = cond.notify

    def worker() -> None:
        while True:
            with cond:
                while not isinstance(job := batch.take(), Job):
                    if job is None:
                        cond.notify_all()  # done or stopped: let every waiter see it
                        return
                    cond.wait(None if job == float("inf") else job)
                cond.notify()
            _run_sync(call, batch, job)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers - 1)]
    for t in threads:
        t.start()
    worker()
    for t in threads:
        t.join()
    return batch.outcome()


def _run_sync(call: Callable[[object, Dispatch], Any], batch: AdaptiveBatch, job: Job) -> None:
    try:
        value = call(job.item, Dispatch(batch, job))
    except PutBack as back:
        with batch.lock:
            batch.put_back(job, back.error)
        return
    except Exception as exc:  # an outcome of this input, kept at its index
        value = exc
    with batch.lock:
        batch.finish(job, value)


async def run_adaptive_async(
    call: Callable[[object, Dispatch], Awaitable[Any]], batch: AdaptiveBatch, workers: int
) -> list[Any]:
    """One dispatcher task takes jobs and starts a task per dispatch: a change wakes one waiter,
    where a pool of ``max`` workers woken on every answer doubled the CPU per item. The limiter
    bounds the dispatches in flight (``workers`` is its ``max``)."""
    wake = asyncio.Event()
    batch.changed = wake.set  # every change runs on this loop: observe, finish and put_back
    running: set[asyncio.Future[None]] = set()
    try:
        while True:
            with batch.lock:
                wake.clear()  # before take: a change after it sets the event again
                job = batch.take()
            if job is None:
                break
            if isinstance(job, Job):
                task = asyncio.ensure_future(_run_async(call, batch, job))
                running.add(task)
                task.add_done_callback(running.discard)
            elif job == float("inf"):
                await wake.wait()
            else:
                try:
                    await asyncio.wait_for(wake.wait(), job)
                except asyncio.TimeoutError:  # not the builtin before Python 3.11
                    pass
        if running:  # after a failure (fail fast): the calls already sent still land
            await asyncio.gather(*running)
    except asyncio.CancelledError as exc:
        for dispatch in running:
            dispatch.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        with batch.lock:
            stopped = asyncio.CancelledError(*exc.args)
            stopped.results = batch.cancelled_results()  # type: ignore[attr-defined]
        raise stopped from None
    return batch.outcome()


async def _run_async(
    call: Callable[[object, Dispatch], Awaitable[Any]], batch: AdaptiveBatch, job: Job
) -> None:
    try:
        value = await call(job.item, Dispatch(batch, job))
    except PutBack as back:
        with batch.lock:
            batch.put_back(job, back.error)
        return
    except Exception as exc:
        value = exc
    with batch.lock:
        batch.finish(job, value)
