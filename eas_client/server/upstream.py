"""A small HTTP/1.1 client for ``--upstream``: asyncio protocol + the httptools response parser,
with a keep-alive pool. The gateway's added time to first event is mostly the upstream call, and
a general client (aiohttp) spends ~200 µs more per call here than this does; it also hands body
bytes over the moment they arrive, with no buffering of its own.

Each call takes an idle connection (or opens one), writes the request in one go and gets the
answer head as soon as it is parsed; body chunks are queued as they arrive, reading paused while
``AHEAD`` chunks wait for a slow caller. A connection goes back to the pool only after a complete
answer that allows keep-alive; a reused connection that fails before any answer byte is retried
once on a fresh one (the upstream closed it while idle).
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from collections.abc import AsyncIterator
from typing import Any

import httptools

from .streams import AHEAD, StreamFailed

_END = object()


class ConnectFailed(Exception):
    """No answer head: cannot connect, or the connection was lost before an answer byte."""


class Exchange(asyncio.Protocol):
    """One connection, one request at a time; the protocol object is reused across requests."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reused = False
        self.pooled = False
        self.generation = 0  # one per request, so a late abandon() cannot hit the next request
        self._reset()

    def _reset(self) -> None:
        self.generation += 1
        self.parser = httptools.HttpResponseParser(self)
        self.head: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.items: collections.deque[Any] = collections.deque()
        self.waiter: asyncio.Future[None] | None = None
        self.complete = False
        self.got_bytes = False
        self.until_eof = False
        self.keep_alive = False
        self.paused = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(f"malformed answer: {exc}")
            self._close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.head is not None and self.head.done() and self.until_eof and not self.complete:
            self.complete = True  # an answer without length or chunks ends with the connection
            self._push(_END)
            return
        self._fail(f"connection closed{f': {exc}' if exc else ''}")

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        names = {k for k, _ in self.headers}
        self.until_eof = b"content-length" not in names and b"transfer-encoding" not in names
        # Asked here: llhttp forgets it once the message is complete.
        self.keep_alive = self.parser.should_keep_alive() and not self.until_eof
        if self.head is not None and not self.head.done():
            self.head.set_result((status, self.headers))

    def on_body(self, body: bytes) -> None:
        self._push(body)
        if len(self.items) >= AHEAD and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def on_message_complete(self) -> None:
        self.complete = True
        self._push(_END)

    # the caller's side
    def _push(self, item: Any) -> None:
        self.items.append(item)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def _fail(self, reason: str) -> None:
        if self.head is not None and not self.head.done():
            self.head.set_exception(ConnectFailed(f"no answer: {reason}"))
        elif not self.complete:
            self._push(StreamFailed(f"the upstream broke off its answer ({reason})"))

    def _close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def abandon(self, generation: int) -> None:
        """The caller stopped reading answer ``generation``: drop the connection unless that answer
        was complete and the connection is back in the pool (or serving another request)."""
        if generation == self.generation and not self.pooled:
            self._close()

    async def body(self, pool: UpstreamPool) -> AsyncIterator[bytes]:
        """The answer body as it arrives; the connection goes back to ``pool`` after a clean end."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                if not self.items:
                    self.waiter = loop.create_future()
                    await self.waiter
                    continue
                item = self.items.popleft()
                if self.paused and len(self.items) < AHEAD // 2 and self.transport is not None:
                    self.paused = False
                    self.transport.resume_reading()
                if item is _END:
                    break
                if isinstance(item, StreamFailed):
                    raise item
                yield item
        finally:
            clean = self.complete and not self.items and self.keep_alive
            if clean and not self.closed:
                pool.release(self)
            else:
                self._close()


class UpstreamPool:
    """Keep-alive connections to one ``host:port``."""

    def __init__(self, host: str, port: int, connect_timeout: float, tls: bool = False) -> None:
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self.tls = ssl.create_default_context() if tls else None
        self.host_header = f"{host}:{port}".encode()
        self._idle: list[Exchange] = []

    async def _connection(self) -> Exchange:
        while self._idle:
            conn = self._idle.pop()
            conn.pooled = False
            if not conn.closed:
                conn.reused = True
                return conn
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(Exchange, self.host, self.port, ssl=self.tls), self.connect_timeout
            )
        except asyncio.TimeoutError:
            raise ConnectFailed(f"no connection within {self.connect_timeout:g} s") from None
        except OSError as exc:
            raise ConnectFailed(exc.strerror or str(exc)) from None
        conn.reused = False
        return conn

    def release(self, conn: Exchange) -> None:
        conn._reset()
        conn.pooled = True
        self._idle.append(conn)

    async def request(
        self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes, timeout: float
    ) -> tuple[int, list[tuple[bytes, bytes]], Exchange]:
        """Send one request; return the answer head and the exchange to read the body from, or
        raise ``asyncio.TimeoutError`` when no head came within ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        lines = [b"%s %s HTTP/1.1\r\nhost: %s\r\n" % (method.encode(), target, self.host_header)]
        lines += [b"%s: %s\r\n" % (k, v) for k, v in headers]
        if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            lines.append(b"content-length: %d\r\n" % len(body))
        data = b"".join(lines) + b"\r\n" + body
        for _ in range(2):
            conn = await self._connection()
            head = conn.head = loop.create_future()
            assert conn.transport is not None
            conn.transport.write(data)
            # A timer instead of wait_for: no task per call on the path to the first event.
            timer = loop.call_at(deadline, _time_out, head)
            try:
                status, answer = await head
            except asyncio.TimeoutError:
                conn._close()
                raise
            except ConnectFailed:
                conn._close()
                if conn.reused and not conn.got_bytes:
                    continue  # closed by the upstream while idle: once more on a new connection
                raise
            except asyncio.CancelledError:
                conn._close()
                raise
            finally:
                timer.cancel()
            if method == "HEAD":
                conn.complete = True  # no body follows a HEAD answer, whatever its length says
                conn._push(_END)
            return status, answer, conn
        raise ConnectFailed("the upstream closed two connections in a row without answering")

    def close(self) -> None:
        for conn in self._idle:
            conn._close()
        self._idle.clear()


def _time_out(head: asyncio.Future[Any]) -> None:
    if not head.done():
        head.set_exception(asyncio.TimeoutError())
