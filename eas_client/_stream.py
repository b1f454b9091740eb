"""The streams a ``stream()`` call hands out: :class:`EASStream` (sync) and :class:`AsyncEASStream`.

Both wrap an engine's body reader (``_transports.base.SyncBody``/``AsyncBody``) and share one
state (:class:`_StreamState`): the read budget, the byte count, the events delivered and the
error wording all come from the core (``_core.stream``, ``_core.sse``); the twins only read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from ._core.errors import StreamError, TransportError
from ._core.retry import header_value
from ._core.sse import EventParser, LineDecoder, ServerSentEvent, is_event_stream
from ._core.stream import (
    Budget,
    KeptEvents,
    StreamContext,
    content_type_error,
    read_budget,
    stream_error,
)
from ._transports.base import StreamHead, timed_out


class _StreamState:
    """What both twins' streams hold and decide; the reading itself is theirs."""

    def __init__(
        self,
        head: StreamHead,
        ctx: StreamContext,
        clock: Callable[[], float],
        started: float,
        max_bytes: int | None,
    ) -> None:
        self.status = head.status
        self.headers = {k.lower(): v for k, v in head.headers.items()}
        self.attempts = ctx.attempts
        self._reader: Any = head.reader
        self._ctx = ctx
        self._clock = clock
        self._started = started
        self._max_bytes = max_bytes
        self._received = 0
        self._kept = KeptEvents()
        self._mode: str | None = None
        self._closed = False

    @property
    def bytes_received(self) -> int:
        """Body bytes read from the connection so far."""
        return self._received

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, endpoint={self._ctx.endpoint!r})"

    def _claim(self, mode: str) -> None:
        """STREAM-1: one reading, one way."""
        if self._mode is not None:
            raise RuntimeError(f"this stream is already read with iter_{self._mode}(); a stream is read once")
        if self._closed:
            raise RuntimeError("this stream is closed; open a new one with client.stream(...)")
        self._mode = mode

    def _budget(self) -> Budget:
        return read_budget(self._ctx.timeout, self._ctx.deadline, self._clock() - self._started)

    def _fail(self, cause: TransportError | StreamError, by_deadline: bool = False) -> StreamError:
        kept = self._kept
        return stream_error(
            cause,
            self._ctx,
            events=kept.kept(),
            events_delivered=kept.delivered,
            bytes_received=self._received,
            by_deadline=by_deadline,
        )

    def _wrong_type(self) -> str | None:
        """STREAM-8: the Content-Type when it is not an event stream, else None."""
        content_type = header_value(self.headers, "content-type")
        return None if is_event_stream(content_type) else (content_type or "")

    def _capped(self, body: bytes) -> bool:
        return self._max_bytes is not None and len(body) > self._max_bytes


class EASStream(_StreamState):
    """A 2xx response whose body is read as it arrives; from ``with client.stream(data) as s:``.

    ``status``, ``headers`` (lower-case names) and ``attempts`` are known at once; read the body
    once, with one of :meth:`iter_bytes`, :meth:`iter_lines` or :meth:`iter_events`. Leaving the
    ``with`` block closes the connection unless the body was read to its end.

    Example::

        with client.stream({"prompt": "hi"}) as stream:
            for event in stream.iter_events():
                print(event.data)
    """

    def iter_bytes(self) -> Iterator[bytes]:
        """The body's bytes as they arrive, unchecked (STREAM-7)."""
        self._claim("bytes")
        yield from self._chunks()

    def iter_lines(self) -> Iterator[str]:
        """The body's lines, decoded as UTF-8, without their line ends (STREAM-7)."""
        self._claim("lines")
        decoder = LineDecoder()
        for chunk in self._chunks():
            yield from decoder.feed(chunk)
            if decoder.failed is not None:
                raise self._stop(decoder.failed)
        try:
            last = decoder.end()
        except StreamError as exc:
            raise self._stop(exc) from None
        if last is not None:
            yield last

    def iter_events(self) -> Iterator[ServerSentEvent]:
        """The body's Server-Sent Events (STREAM-8); the body must be ``text/event-stream``."""
        self._claim("events")
        wrong = self._wrong_type()
        if wrong is not None:  # the body goes straight into the error, never into a local (SEC-4)
            raise self._stop(content_type_error(wrong or None, self._whole_body(), self._ctx))
        parser = EventParser()
        keep = self._kept.add
        for chunk in self._chunks():
            for event in parser.feed(chunk):
                keep(event)
                yield event
            if parser.failed is not None:
                raise self._stop(parser.failed)
        try:
            parser.end()
        except StreamError as exc:
            raise self._stop(exc) from None

    def close(self) -> None:
        """Close the stream; an unread rest of the body closes its connection (STREAM-6)."""
        if not self._closed:
            self._closed = True
            self._reader.close()

    def __enter__(self) -> EASStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _chunks(self) -> Iterator[bytes]:
        while not self._closed:
            budget = self._budget()
            error: TransportError | None = None
            if budget.seconds <= 0:
                error = timed_out(self._ctx.endpoint)
            else:
                try:
                    chunk = self._reader.read(budget.seconds)
                except TransportError as exc:  # the engine's frames hold the request (SEC-4)
                    error = exc.with_traceback(None)
            if error is not None:
                raise self._stop(error, budget.by_deadline)
            if not chunk:
                self._closed = True
                return
            self._received += len(chunk)
            yield chunk

    def _whole_body(self) -> bytes:
        """STREAM-8: the body of a non-event answer, read whole up to ``max_response_bytes``."""
        body = b""
        for chunk in self._chunks():
            body += chunk
            if self._capped(body):
                break
        return body

    def _stop(self, cause: TransportError | StreamError, by_deadline: bool = False) -> StreamError:
        """STREAM-10: the stream is closed before its error is raised."""
        self.close()
        return self._fail(cause, by_deadline)


class AsyncEASStream(_StreamState):
    """The asyncio twin of :class:`EASStream`: ``async with client.stream(data) as s:`` and
    ``async for`` over ``s.iter_bytes()``, ``s.iter_lines()`` or ``s.iter_events()``.

    Example::

        async with client.stream({"prompt": "hi"}) as stream:
            async for event in stream.iter_events():
                print(event.data)
    """

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Async :meth:`EASStream.iter_bytes`."""
        self._claim("bytes")
        async for chunk in self._chunks():
            yield chunk

    async def iter_lines(self) -> AsyncIterator[str]:
        """Async :meth:`EASStream.iter_lines`."""
        self._claim("lines")
        decoder = LineDecoder()
        async for chunk in self._chunks():
            for line in decoder.feed(chunk):
                yield line
            if decoder.failed is not None:
                raise await self._stop(decoder.failed)
        try:
            last = decoder.end()
        except StreamError as exc:
            raise await self._stop(exc) from None
        if last is not None:
            yield last

    async def iter_events(self) -> AsyncIterator[ServerSentEvent]:
        """Async :meth:`EASStream.iter_events`."""
        self._claim("events")
        wrong = self._wrong_type()
        if wrong is not None:  # the body goes straight into the error, never into a local (SEC-4)
            raise await self._stop(content_type_error(wrong or None, await self._whole_body(), self._ctx))
        parser = EventParser()
        keep = self._kept.add
        async for chunk in self._chunks():
            for event in parser.feed(chunk):
                keep(event)
                yield event
            if parser.failed is not None:
                raise await self._stop(parser.failed)
        try:
            parser.end()
        except StreamError as exc:
            raise await self._stop(exc) from None

    async def close(self) -> None:
        """Async :meth:`EASStream.close`."""
        if not self._closed:
            self._closed = True
            await self._reader.close()

    async def __aenter__(self) -> AsyncEASStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _chunks(self) -> AsyncIterator[bytes]:
        while not self._closed:
            budget = self._budget()
            error: TransportError | None = None
            if budget.seconds <= 0:
                error = timed_out(self._ctx.endpoint)
            else:
                try:
                    chunk = await self._reader.read(budget.seconds)
                except TransportError as exc:  # the engine's frames hold the request (SEC-4)
                    error = exc.with_traceback(None)
            if error is not None:
                raise await self._stop(error, budget.by_deadline)
            if not chunk:
                self._closed = True
                return
            self._received += len(chunk)
            yield chunk

    async def _whole_body(self) -> bytes:
        body = b""
        async for chunk in self._chunks():
            body += chunk
            if self._capped(body):
                break
        return body

    async def _stop(self, cause: TransportError | StreamError, by_deadline: bool = False) -> StreamError:
        await self.close()
        return self._fail(cause, by_deadline)


__all__ = ["AsyncEASStream", "EASStream"]
