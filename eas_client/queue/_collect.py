"""QUEUE-14, submit and collect, for both twins: ``concurrency`` workers (threads or tasks) each
take the next input, put it into the service's queue and wait for its result on ``<queue>/sink``
by request id; outcomes come out in completion order, one per input."""

from __future__ import annotations

import asyncio
import queue as stdqueue
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._batch import Progress, _make_progress
from .._core.dataframe import DataFrame
from .._core.errors import ConfigError, DeadlineExceededError

if TYPE_CHECKING:
    from .aio import AsyncQueueClient
    from .client import QueueClient


@dataclass(frozen=True)
class Collected:
    """One input's outcome: its ``position`` in the inputs, its ``request_id`` (``None`` when the
    put failed), and either the ``result`` frame or the ``error`` that ended it."""

    position: int
    request_id: str | None
    result: DataFrame | None = None
    error: BaseException | None = None


@dataclass(frozen=True)
class _Job:
    tags: Mapping[str, str] | None
    priority: int | None
    timeout: float
    result_timeout: float | None

    def wait(self, started: float, now: float) -> float | None:
        """The next get's wait, or None once ``result_timeout`` has run out."""
        if self.result_timeout is None:
            return self.timeout
        left = self.result_timeout - (now - started)
        return None if left <= 0 else min(self.timeout, left)


def _check(concurrency: object, result_timeout: object) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"concurrency must be an integer >= 1, got {concurrency!r}")
    if result_timeout is not None and (
        isinstance(result_timeout, bool)
        or not isinstance(result_timeout, (int, float))
        or result_timeout <= 0
    ):
        raise ConfigError(f"result_timeout must be a number of seconds > 0 or None, not {result_timeout!r}")


def _start(
    inputs: Iterable[object],
    concurrency: int,
    result_timeout: float | None,
    timeout: float,
    tags: Mapping[str, str] | None,
    priority: int | None,
    progress: Progress,
) -> tuple[_Job, Callable[..., None], int]:
    """Both twins' first step: check the options; then the job, the progress callback and how
    many workers to start (no more than there are inputs, when that is known)."""
    _check(concurrency, result_timeout)
    total = len(inputs) if hasattr(inputs, "__len__") else None  # type: ignore[arg-type]
    workers = concurrency if total is None else max(1, min(concurrency, total))
    return _Job(tags, priority, timeout, result_timeout), _make_progress(progress, total), workers


def _match(frames: list[DataFrame], request_id: str) -> DataFrame | None:
    return next((f for f in frames if f.tags.get("requestId") == request_id), None)


def _expired(request_id: str, job: _Job, sink_url: str) -> DeadlineExceededError:
    return DeadlineExceededError(
        f"no result for request {request_id} within result_timeout={job.result_timeout}s",
        endpoint=sink_url,
    )


def collect_sync(
    client: QueueClient,
    sink: QueueClient,
    inputs: Iterable[object],
    concurrency: int,
    result_timeout: float | None,
    timeout: float,
    tags: Mapping[str, str] | None,
    priority: int | None,
    progress: Progress,
) -> Iterator[Collected]:
    job, tick, workers = _start(inputs, concurrency, result_timeout, timeout, tags, priority, progress)
    items = enumerate(inputs)
    lock, stop = threading.Lock(), threading.Event()
    out: stdqueue.Queue[Collected | None] = stdqueue.Queue()

    def one(position: int, item: object) -> Collected:
        request_id = None
        try:
            _, request_id = client.put(item, tags=job.tags, priority=job.priority)
            started = time.monotonic()
            while (wait := job.wait(started, time.monotonic())) is not None:
                found = _match(sink.get(request_id=request_id, timeout=wait), request_id)
                if found is not None:
                    return Collected(position, request_id, found)
            return Collected(position, request_id, error=_expired(request_id, job, sink.queue_url))
        except Exception as exc:  # this input's outcome, delivered in its place
            return Collected(position, request_id, error=exc)

    def worker() -> None:
        try:
            while not stop.is_set():
                with lock:
                    job_item = next(items, None)
                if job_item is None:
                    return
                out.put(one(*job_item))
        finally:
            out.put(None)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    running = workers
    try:
        while running:
            done = out.get()
            if done is None:
                running -= 1
                continue
            tick(1)
            yield done
    finally:
        stop.set()  # a caller that stops early: take no new input, let the ones in flight end
        tick(0, close=True)


async def collect_async(
    client: AsyncQueueClient,
    sink: AsyncQueueClient,
    inputs: Iterable[object],
    concurrency: int,
    result_timeout: float | None,
    timeout: float,
    tags: Mapping[str, str] | None,
    priority: int | None,
    progress: Progress,
) -> AsyncIterator[Collected]:
    job, tick, workers = _start(inputs, concurrency, result_timeout, timeout, tags, priority, progress)
    items = enumerate(inputs)
    out: asyncio.Queue[Collected | None] = asyncio.Queue()

    async def one(position: int, item: object) -> Collected:
        request_id = None
        try:
            _, request_id = await client.put(item, tags=job.tags, priority=job.priority)
            loop = asyncio.get_running_loop()
            started = loop.time()
            while (wait := job.wait(started, loop.time())) is not None:
                found = _match(await sink.get(request_id=request_id, timeout=wait), request_id)
                if found is not None:
                    return Collected(position, request_id, found)
            return Collected(position, request_id, error=_expired(request_id, job, sink.queue_url))
        except Exception as exc:
            return Collected(position, request_id, error=exc)

    async def worker() -> None:
        try:
            while (job_item := next(items, None)) is not None:
                await out.put(await one(*job_item))
        finally:
            out.put_nowait(None)

    tasks: list[asyncio.Task[Any]] = [asyncio.ensure_future(worker()) for _ in range(workers)]
    running = workers
    try:
        while running:
            done = await out.get()
            if done is None:
                running -= 1
                continue
            tick(1)
            yield done
    finally:
        for task in tasks:
            task.cancel()  # a caller that stops early abandons the rest
        await asyncio.gather(*tasks, return_exceptions=True)
        tick(0, close=True)
