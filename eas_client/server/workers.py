"""The worker threads that run process(): a minimal pool (one SimpleQueue, results handed back
with call_soon_threadsafe). ThreadPoolExecutor + run_in_executor cost ~2x more per call here,
and the hop between the event loop and a worker is the runtime's main cost per request."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

_STOP = object()


class AfterDelivery:
    """A result with more work for the worker once the loop has it (a stream's remaining chunks):
    the worker delivers it, runs ``run_after``, and only then counts as free."""

    def run_after(self, loop: asyncio.AbstractEventLoop) -> None:
        raise NotImplementedError

    def abandon(self) -> None:
        """Called on the loop when the result arrives after its caller stopped waiting."""


class WorkerPool:
    def __init__(self, size: int, name: str) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True) for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def submit(
        self,
        loop: asyncio.AbstractEventLoop,
        fn: Callable[[bytes], Any],
        arg: bytes,
        on_done: Callable[[], None],
    ) -> asyncio.Future[Any]:
        """Run ``fn(arg)`` on a worker. The future resolves on ``loop`` (unless something else
        resolved it first, e.g. a timeout); ``on_done`` runs on ``loop`` when the worker is free."""
        future: asyncio.Future[Any] = loop.create_future()
        self._jobs.put((loop, future, fn, arg, on_done))
        return future

    def _work(self) -> None:
        while (job := self._jobs.get()) is not _STOP:
            loop, future, fn, arg, on_done = job
            try:
                result, error = fn(arg), None
            except BaseException as exc:  # delivered to the awaiting request, never kills the worker
                result, error = None, exc
            try:
                if isinstance(result, AfterDelivery):
                    loop.call_soon_threadsafe(_deliver, future, result)
                    result.run_after(loop)
                    loop.call_soon_threadsafe(on_done)
                else:
                    loop.call_soon_threadsafe(_resolve, future, result, error, on_done)
            except RuntimeError:  # the loop closed while this job ran
                pass

    def shutdown(self, timeout: float = 2.0) -> None:
        """Stop the workers; one still inside a process() call after ``timeout`` is left behind
        (a daemon thread: it cannot keep the process alive, and it cannot be interrupted)."""
        for _ in self._threads:
            self._jobs.put(_STOP)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))


def _resolve(
    future: asyncio.Future[Any], result: Any, error: BaseException | None, on_done: Callable[[], None]
) -> None:
    on_done()
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _deliver(future: asyncio.Future[Any], result: AfterDelivery) -> None:
    if future.done():  # timed out (408) before the result came
        result.abandon()
    else:
        future.set_result(result)
