"""predict_many for both twins: ``concurrency`` workers (threads or tasks) pull inputs from one
shared cursor, so at most ``concurrency`` calls are in flight, inputs are read lazily, and each
result lands at its input's index: one outcome per input, none dropped or duplicated.
``concurrency="auto"`` hands the batch to ``_adaptive_batch`` (ADAPT-5)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from ._adaptive_batch import AdaptiveBatch, run_adaptive_async, run_adaptive_sync
from ._core.adaptive import AdaptiveConcurrency, resolve_concurrency
from ._core.errors import ConfigError

Progress = bool | Callable[[int, int | None], None]
_PENDING: Any = object()


class _Batch:
    """Cursor, results and progress shared by the workers of one batch."""

    def __init__(self, inputs: Iterable[object], concurrency: int, progress: Progress) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError(f"concurrency must be an integer >= 1, got {concurrency!r}")
        total = len(inputs) if hasattr(inputs, "__len__") else None  # type: ignore[arg-type]
        self.workers = concurrency if total is None else max(1, min(concurrency, total))
        self._items: Iterator[tuple[int, object]] = enumerate(inputs)
        self._lock = threading.Lock()
        self.results: list[Any] = []
        self.failure: BaseException | None = None
        self._tick = _make_progress(progress, total)

    def next(self) -> tuple[int, object] | None:
        with self._lock:
            if self.failure is not None:
                return None
            try:
                index, item = next(self._items)
            except StopIteration:
                return None
            self.results.append(_PENDING)
            return index, item

    def done(self, index: int, value: Any, return_exceptions: bool) -> None:
        with self._lock:
            self.results[index] = value
            if isinstance(value, BaseException) and not return_exceptions and self.failure is None:
                self.failure = value
        self._tick(1)

    def finish(self) -> list[Any]:
        self._tick(0, close=True)
        if self.failure is not None:
            raise self.failure
        return self.results


def predict_many_sync(
    client: Any,
    inputs: Iterable[object],
    concurrency: object,
    return_exceptions: bool,
    progress: Progress,
    kwargs: dict[str, Any],
) -> list[Any]:
    """EASClient.predict_many: a fixed number of threads, or an adaptive batch."""
    limits = resolve_concurrency(concurrency)
    if isinstance(limits, int):
        return run_batch_sync(
            lambda item: client.predict(item, **kwargs),
            inputs,
            concurrency=limits,
            return_exceptions=return_exceptions,
            progress=progress,
        )
    batch, workers = _adaptive(client, inputs, limits, return_exceptions, progress)
    return run_adaptive_sync(lambda item, hook: client._batch_item(item, hook, kwargs), batch, workers)


async def predict_many_async(
    client: Any,
    inputs: Iterable[object],
    concurrency: object,
    return_exceptions: bool,
    progress: Progress,
    kwargs: dict[str, Any],
) -> list[Any]:
    """AsyncEASClient.predict_many: a fixed number of tasks, or an adaptive batch."""
    limits = resolve_concurrency(concurrency)
    if isinstance(limits, int):
        return await run_batch_async(
            lambda item: client.predict(item, **kwargs),
            inputs,
            concurrency=limits,
            return_exceptions=return_exceptions,
            progress=progress,
        )
    batch, workers = _adaptive(client, inputs, limits, return_exceptions, progress)
    return await run_adaptive_async(lambda item, hook: client._batch_item(item, hook, kwargs), batch, workers)


def _adaptive(
    client: Any,
    inputs: Iterable[object],
    limits: AdaptiveConcurrency,
    return_exceptions: bool,
    progress: Progress,
) -> tuple[AdaptiveBatch, int]:
    total = len(inputs) if hasattr(inputs, "__len__") else None  # type: ignore[arg-type]
    batch = AdaptiveBatch(
        inputs,
        limits,
        client.config.retry,
        clock=client._clock,
        monotonic=client._monotonic,
        rand=client._rand,
        tick=_make_progress(progress, total),
        return_exceptions=return_exceptions,
    )
    return batch, limits.max if total is None else max(1, min(limits.max, total))


def run_batch_sync(
    call: Callable[[object], Any],
    inputs: Iterable[object],
    *,
    concurrency: int,
    return_exceptions: bool,
    progress: Progress,
) -> list[Any]:
    batch = _Batch(inputs, concurrency, progress)

    def worker() -> None:
        while (job := batch.next()) is not None:
            index, item = job
            try:
                value = call(item)
            except Exception as exc:  # an outcome of this input, kept at its index
                value = exc
            batch.done(index, value, return_exceptions)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(batch.workers - 1)]
    for t in threads:
        t.start()
    worker()  # the calling thread works too: a batch of one needs no extra thread
    for t in threads:
        t.join()
    return batch.finish()


async def run_batch_async(
    call: Callable[[object], Awaitable[Any]],
    inputs: Iterable[object],
    *,
    concurrency: int,
    return_exceptions: bool,
    progress: Progress,
) -> list[Any]:
    batch = _Batch(inputs, concurrency, progress)

    async def worker() -> None:
        while (job := batch.next()) is not None:
            index, item = job
            try:
                value = await call(item)
            except Exception as exc:
                value = exc
            batch.done(index, value, return_exceptions)

    await asyncio.gather(*(worker() for _ in range(batch.workers)))
    return batch.finish()


def _make_progress(progress: Progress, total: int | None) -> Callable[..., None]:
    if progress is False or progress is None:
        return _no_progress
    if not isinstance(progress, bool):
        done = [0]

        def report(n: int, close: bool = False) -> None:
            if n:
                done[0] += n
                progress(done[0], total)

        return report
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ConfigError(
            "progress=True needs tqdm: pip install 'eas-client[progress]' "
            "(or pass a callable progress(done, total))"
        ) from None
    bar = tqdm(total=total, unit="call")

    def tick(n: int, close: bool = False) -> None:
        if n:
            bar.update(n)
        if close:
            bar.close()

    return tick


def _no_progress(n: int, close: bool = False) -> None:
    pass
