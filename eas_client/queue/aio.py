"""AsyncQueueClient: the asyncio twin of QueueClient, sending through an inner
:class:`~eas_client.AsyncEASClient`'s call loop (same transports, retries and errors)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any

from .._core import queue as q
from .._core.dataframe import DataFrame
from ..aio import AsyncEASClient
from ._base import QueueBase
from ._collect import Collected, collect_async
from ._watch import AsyncWatch


class AsyncQueueClient(QueueBase):
    """Async :class:`QueueClient`: the same options and operations, awaited.

    Example::

        async with AsyncQueueClient("http://127.0.0.1:8080", token="t", queue="demo") as client:
            async for done in client.submit_many(rows, concurrency=64):
                print(done.position, done.result)
    """

    _inner: AsyncEASClient

    def _make_inner(self, *args: Any, **kwargs: Any) -> AsyncEASClient:
        return AsyncEASClient(*args, **kwargs)

    async def _run(self, call: q.QueueCall, data: object = None) -> Any:
        raw, attempts = await self._inner._call(self._prepare_call(call, data))
        return self._answer(call, raw, attempts)

    async def put(
        self, data: object, *, tags: Mapping[str, str] | None = None, priority: int | None = None
    ) -> tuple[int, str]:
        """Async :meth:`QueueClient.put`."""
        result: tuple[int, str] = await self._run(q.put_call(priority, tags), data)
        return result

    async def get(
        self,
        index: int = 0,
        length: int = 1,
        *,
        timeout: float = q.DEFAULT_GET_WAIT_S,
        auto_delete: bool = True,
        tags: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> list[DataFrame]:
        """Async :meth:`QueueClient.get`."""
        call = q.get_call(index, length, timeout, auto_delete, tags, request_id)
        frames: list[DataFrame] = await self._run(call)
        return frames

    async def commit(self, indexes: Sequence[int]) -> None:
        await self._run(q.indexes_call("commit", indexes))

    async def delete(self, indexes: Sequence[int]) -> None:
        await self._run(q.indexes_call("delete", indexes))

    async def negative(self, indexes: Sequence[int], code: str, reason: str = "") -> None:
        await self._run(q.negative_call(indexes, code, reason))

    async def truncate(self, index: int) -> None:
        await self._run(q.truncate_call(index))

    async def end(self, *, force: bool = False) -> None:
        await self._run(q.end_call(force))

    async def attributes(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._run(q.attributes_call())
        return result

    async def search(self, index: int) -> Any:
        return await self._run(q.search_call(index))

    async def count(self) -> int:
        result: int = await self._run(q.count_call())
        return result

    def watch(
        self,
        index: int = 0,
        *,
        window: int = q.DEFAULT_WATCH_WINDOW,
        index_only: bool = False,
        auto_commit: bool = False,
        tags: Mapping[str, str] | None = None,
    ) -> AsyncWatch:
        """Async :meth:`QueueClient.watch`: ``async for frame in client.watch(): …``."""
        return AsyncWatch(
            self, index, window=window, index_only=index_only, auto_commit=auto_commit, tags=tags
        )

    async def submit_many(
        self,
        inputs: Iterable[object],
        *,
        concurrency: int = q.DEFAULT_SUBMIT_CONCURRENCY,
        result_timeout: float | None = None,
        timeout: float = q.DEFAULT_GET_WAIT_S,
        tags: Mapping[str, str] | None = None,
        priority: int | None = None,
        progress: bool | Callable[[int, int | None], None] = False,
    ) -> AsyncIterator[Collected]:
        """Async :meth:`QueueClient.submit_many`: an async iterator in completion order."""
        sink = self.sink()
        try:
            async for done in collect_async(
                self, sink, inputs, concurrency, result_timeout, timeout, tags, priority, progress
            ):
                yield done
        finally:
            await sink.close()

    def sink(self) -> AsyncQueueClient:
        """A client of ``<queue>/sink`` with the same options, identity and connection pool."""
        clone = AsyncQueueClient.__new__(AsyncQueueClient)
        clone.__dict__.update(self.__dict__)
        clone._inner = self._inner.with_options(**self._sink_options())
        clone._set_headers()
        return clone

    async def close(self) -> None:
        await self._inner.close()

    async def __aenter__(self) -> AsyncQueueClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
