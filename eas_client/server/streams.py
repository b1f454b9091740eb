"""Streamed answers: a ``process()`` that returns an iterator (a generator, sync or async) of
bytes or str is sent chunk by chunk with chunked transfer encoding, each chunk as soon as it is
produced, and as Server-Sent Events to a caller that asks for ``text/event-stream``.

The iterator runs on the worker thread that called ``process()`` and keeps that worker (and the
queue slot) until it ends, as a long call would. At most ``AHEAD`` chunks wait between the worker
and the socket, so a generator cannot outrun a slow reader by more than that. A chunk becomes one
SSE event: each line of it (split at CRLF, LF or CR) is one ``data:`` line, then a blank line, so a
reader that joins ``data`` lines with LF gets the chunk back (line ends as LF).

Example (a processor)::

    class Tokens(allspark.BaseProcessor):
        def process(self, data):
            for word in data.split():
                yield word + b" "  # each word reaches the caller as it is produced
"""

from __future__ import annotations

import asyncio
import collections
import re
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from .workers import AfterDelivery

# Chunks that may wait between the generator and the socket.
AHEAD = 16
SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_END = object()


class StreamFailed(Exception):
    """The processor's iterator raised (or yielded something unsendable) after the head was sent."""


def is_stream(body: Any) -> bool:
    """A body to stream: an iterator or async iterator (a list or dict is JSON, not a stream)."""
    return isinstance(body, (Iterator, AsyncIterator))


def chunk_bytes(chunk: Any) -> bytes:
    """A chunk as bytes: bytes-like as is, str as UTF-8; anything else is the processor's bug."""
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    if isinstance(chunk, str):
        return chunk.encode("utf-8", "replace")
    raise TypeError(
        f"processor streamed a chunk of type {type(chunk).__name__}; a stream yields bytes or str"
    )


def sse_event(chunk: bytes) -> bytes:
    """One SSE event carrying ``chunk``.

    Example::

        assert sse_event(b"a\\nb") == b"data: a\\ndata: b\\n\\n"
    """
    return b"".join([b"data: " + line + b"\n" for line in _LINE_BREAK.split(chunk)]) + b"\n"


def sync_chunks(chunks: Iterator[Any] | AsyncIterator[Any]) -> Iterator[Any]:
    """A sync iterator over either kind: an async one runs on a private event loop in the worker
    thread, so both kinds share one path and neither blocks the server's loop."""
    if isinstance(chunks, Iterator):
        return chunks
    return _drive(chunks)


def _drive(chunks: AsyncIterator[Any]) -> Iterator[Any]:
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(chunks.__anext__())
            except StopAsyncIteration:
                return
    finally:
        closer = getattr(chunks, "aclose", None)
        if closer is not None:
            loop.run_until_complete(closer())
        loop.close()


class Stream(AfterDelivery):
    """A streamed answer: the head (status, content type, first chunk) is known when it is
    delivered to the event loop; the worker then pumps the rest (``run_after``) while the loop
    sends them (``async for``)."""

    def __init__(self, status: int, content_type: str, first: bytes | None, rest: Iterator[Any]) -> None:
        self.status = status
        self.content_type = content_type
        self.first = first
        self._rest = rest
        self._items: collections.deque[Any] = collections.deque()
        self._credits = threading.Semaphore(AHEAD)
        self._waiter: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.cancelled = False

    # Worker side.
    def run_after(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        try:
            for item in self._rest:
                chunk = chunk_bytes(item)
                if not chunk:
                    continue  # nothing to send (and an empty chunk would end a chunked body)
                self._credits.acquire()
                if self.cancelled:
                    break
                self._hand(chunk)
        except Exception as exc:  # the processor's failure, reported on the loop
            self._hand(StreamFailed(f"process() failed while streaming ({type(exc).__name__}: {exc})"))
        else:
            self._hand(_END)
        finally:
            self._close()

    def _close(self) -> None:
        close = getattr(self._rest, "close", None)
        if close is None:
            return
        try:
            close()  # a generator the caller left gets GeneratorExit and can stop working
        except Exception:  # noqa: S110 - a generator that refuses to close changes nothing here
            pass

    def _hand(self, item: Any) -> None:
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._put, item)
        except RuntimeError:  # the loop closed: nobody reads any more
            self.cancelled = True

    # Loop side.
    def abandon(self) -> None:
        """Nobody will read (the caller left, or 408 was sent): let the worker stop."""
        self.cancelled = True
        self._credits.release()
        self._wake()

    def _put(self, item: Any) -> None:
        self._items.append(item)
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.first:
            yield self.first
        while not self.cancelled:
            if not self._items:
                self._waiter = asyncio.get_running_loop().create_future()
                await self._waiter
                continue
            item = self._items.popleft()
            if item is _END:
                return
            if isinstance(item, StreamFailed):
                raise item
            yield item
            self._credits.release()
