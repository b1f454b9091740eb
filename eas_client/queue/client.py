"""QueueClient: the synchronous queue twin. Each operation is built by the sans-IO core and sent
through an inner :class:`~eas_client.EASClient`'s call loop (same transports, retries, errors)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from .._core import queue as q
from .._core.dataframe import DataFrame
from ..client import EASClient
from ._base import QueueBase
from ._collect import Collected, collect_sync
from ._watch import Watch


class QueueClient(QueueBase):
    """A client of one EAS queue (an asynchronous inference service's input queue, or its
    ``/sink``). Options as :class:`QueueBase`.

    Example::

        from eas_client import QueueClient

        with QueueClient("http://127.0.0.1:8080", token="t", queue="demo") as inputs:
            index, request_id = inputs.put(b"2 105")
        with QueueClient("http://127.0.0.1:8080", token="t", queue="demo/sink") as sink:
            [frame] = sink.get(request_id=request_id, timeout=10)
            print(frame.data)
    """

    _inner: EASClient

    def _make_inner(self, *args: Any, **kwargs: Any) -> EASClient:
        return EASClient(*args, **kwargs)

    def _run(self, call: q.QueueCall, data: object = None) -> Any:
        raw, attempts = self._inner._call(self._prepare_call(call, data))
        return self._answer(call, raw, attempts)

    def put(
        self, data: object, *, tags: Mapping[str, str] | None = None, priority: int | None = None
    ) -> tuple[int, str]:
        """Queue ``data`` (bytes, str or a JSON value); returns ``(index, request_id)``."""
        result: tuple[int, str] = self._run(q.put_call(priority, tags), data)
        return result

    def get(
        self,
        index: int = 0,
        length: int = 1,
        *,
        timeout: float = q.DEFAULT_GET_WAIT_S,
        auto_delete: bool = True,
        tags: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> list[DataFrame]:
        """Up to ``length`` items from ``index`` (0: the oldest), waiting up to ``timeout`` seconds
        for one; an empty list when none came."""
        frames: list[DataFrame] = self._run(q.get_call(index, length, timeout, auto_delete, tags, request_id))
        return frames

    def commit(self, indexes: Sequence[int]) -> None:
        """Acknowledge items (they are done and leave the queue)."""
        self._run(q.indexes_call("commit", indexes))

    def delete(self, indexes: Sequence[int]) -> None:
        self._run(q.indexes_call("delete", indexes))

    def negative(self, indexes: Sequence[int], code: str, reason: str = "") -> None:
        """Negatively acknowledge items with a ``code`` such as ``Timeout`` and a ``reason``."""
        self._run(q.negative_call(indexes, code, reason))

    def truncate(self, index: int) -> None:
        """Drop every item below ``index``."""
        self._run(q.truncate_call(index))

    def end(self, *, force: bool = False) -> None:
        """Mark the end of the stream: watchers finish once they have read everything."""
        self._run(q.end_call(force))

    def attributes(self) -> dict[str, Any]:
        result: dict[str, Any] = self._run(q.attributes_call())
        return result

    def search(self, index: int) -> Any:
        return self._run(q.search_call(index))

    def count(self) -> int:
        result: int = self._run(q.count_call())
        return result

    def watch(
        self,
        index: int = 0,
        *,
        window: int = q.DEFAULT_WATCH_WINDOW,
        index_only: bool = False,
        auto_commit: bool = False,
        tags: Mapping[str, str] | None = None,
    ) -> Watch:
        """Iterate over the queue's items as they arrive, over a WebSocket that reconnects and
        resumes after the last item delivered; ``close()`` (or ``with``) ends it.

        Example::

            with sink.watch(window=32) as frames:
                for frame in frames:
                    handle(frame)
                    sink.commit([frame.index])
        """
        return Watch(self, index, window=window, index_only=index_only, auto_commit=auto_commit, tags=tags)

    def submit_many(
        self,
        inputs: Iterable[object],
        *,
        concurrency: int = q.DEFAULT_SUBMIT_CONCURRENCY,
        result_timeout: float | None = None,
        timeout: float = q.DEFAULT_GET_WAIT_S,
        tags: Mapping[str, str] | None = None,
        priority: int | None = None,
        progress: bool | Callable[[int, int | None], None] = False,
    ) -> Iterator[Collected]:
        """QUEUE-14: put each input into this service's queue and collect its result from
        ``<queue>/sink``; yields one :class:`Collected` per input in completion order, with at
        most ``concurrency`` inputs between put and result.

        Example::

            for done in client.submit_many(rows, concurrency=32):
                print(done.position, done.result.data if done.error is None else done.error)
        """
        sink = self.sink()
        try:
            yield from collect_sync(
                self, sink, inputs, concurrency, result_timeout, timeout, tags, priority, progress
            )
        finally:
            sink.close()

    def sink(self) -> QueueClient:
        """A client of ``<queue>/sink`` with the same options and identity."""
        clone = QueueClient.__new__(QueueClient)
        clone.__dict__.update(self.__dict__)
        clone._inner = self._inner.with_options(**self._sink_options())
        clone._set_headers()
        return clone

    def close(self) -> None:
        self._inner.close()

    def __enter__(self) -> QueueClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
