"""Sync default engine: the standard library's http.client with a small keep-alive pool.

It keeps what the urllib3 engine gave us (idle connections reused per origin, at most
``pool_size`` kept, a connection the server closed is detected before reuse and replaced) and
drops the layers urllib3 adds per request, which cost ~150 µs a call on this project's benchmark
machine. Proxies are not supported here: pass ``http_client=httpx.Client(proxy=...)`` or
``engine="urllib3"``.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import time
from typing import Any
from urllib.parse import urlsplit

from .._core.errors import TransportError
from .._core.flow import RawResponse, WireRequest
from ._bounds import CHUNK, read_capped, read_gunzip_capped, timed_connection_class
from .base import (
    StreamHead,
    broke,
    connect_failed,
    failed,
    is_success,
    settle,
    stream_broke,
    stream_ended_short,
    timed_out,
)

_RESEND = object()

_POLL = getattr(select, "poll", None)


_Plain = timed_connection_class(http.client.HTTPConnection, lambda conn: conn)
_Secure = timed_connection_class(http.client.HTTPSConnection, lambda conn: conn)
# Failures that mean the server closed an idle connection as the request went out (CONN-1).
_STALE = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, http.client.RemoteDisconnected)


class HTTPClientTransport:
    def __init__(self, *, pool_size: int, max_bytes: int | None = None) -> None:
        self._pool_size = pool_size
        self._max_bytes = max_bytes
        self._idle: dict[str, list[http.client.HTTPConnection]] = {}
        self._targets: dict[str, tuple[bool, str, int]] = {}
        self._ssl: ssl.SSLContext | None = None

    def send(self, request: WireRequest) -> RawResponse:
        return self._send(request, False)

    def stream(self, request: WireRequest) -> RawResponse:
        """A 2xx answer comes back as a StreamHead whose body is read on demand (STREAM-1)."""
        return self._send(request, True)

    def _send(self, request: WireRequest, stream: bool) -> RawResponse:
        method, origin, target, headers, body, timeout, connect_timeout = request
        conn = self._checkout(origin, connect_timeout)
        result = self._exchange(conn, origin, target, method, headers, body, timeout, True, stream)
        if result is _RESEND:  # CONN-1: once, at once, on a fresh connection
            conn = self._new(origin, connect_timeout)
            result = self._exchange(conn, origin, target, method, headers, body, timeout, False, stream)
        return settle(result)

    def _exchange(
        self,
        conn: Any,
        origin: str,
        target: str,
        method: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
        reused: bool = True,
        stream: bool = False,
    ) -> RawResponse | TransportError | object:
        """One request and its response; ``_RESEND`` when CONN-1 allows sending it again."""
        url = origin + target
        if conn.sock is None:
            reused = False
            try:
                conn.connect()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                return connect_failed(url, f"{_reason(exc)}")
        conn.deadline = time.monotonic() + timeout
        conn.received = 0
        try:
            conn.sock.settimeout(timeout)
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
            if stream and is_success(resp.status):
                return StreamHead(resp.status, resp.msg, b"", _Body(self, origin, conn, resp, url))
            encoding = resp.msg.get("Content-Encoding")
            if encoding is None:
                data = read_capped(resp.read, resp.length, self._max_bytes, url)
            elif encoding.strip().lower() == "gzip":  # HTTP-3, capped after decoding (LIMIT-1)
                data = read_gunzip_capped(resp.read, self._max_bytes, url)
            else:  # the declared length is the encoded size: only the bytes read are counted
                data = read_capped(resp.read, None, self._max_bytes, url)
        except Exception as exc:  # every failure becomes one of ours, never a bare traceback
            conn.close()
            if reused and not conn.received and isinstance(exc, _STALE):
                return _RESEND
            return _map_error(exc, url)
        if resp.will_close:
            conn.close()
        else:
            self._checkin(origin, conn)
        return RawResponse(resp.status, resp.msg, data)  # HTTPMessage: case-insensitive get

    def _checkout(self, origin: str, connect_timeout: float) -> Any:
        idle = self._idle.get(origin)
        while idle:
            try:
                conn = idle.pop()  # list.pop is atomic: no lock needed between threads
            except IndexError:
                break
            if not _dropped(conn):
                return conn
            conn.close()
        return self._new(origin, connect_timeout)

    def _checkin(self, origin: str, conn: http.client.HTTPConnection) -> None:
        idle = self._idle.setdefault(origin, [])
        if len(idle) < self._pool_size:
            idle.append(conn)
        else:
            conn.close()

    def _new(self, origin: str, connect_timeout: float) -> http.client.HTTPConnection:
        target = self._targets.get(origin)
        if target is None:
            parts = urlsplit(origin)
            https = parts.scheme == "https"
            target = (https, parts.hostname or "", parts.port or (443 if https else 80))
            self._targets[origin] = target
        https, host, port = target
        if https:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            conn: http.client.HTTPConnection = _Secure(host, port, timeout=connect_timeout, context=self._ssl)
        else:
            conn = _Plain(host, port, timeout=connect_timeout)
        return conn

    def close(self) -> None:
        pools, self._idle = self._idle, {}
        for idle in pools.values():
            for conn in idle:
                conn.close()


class _Body:
    """A stream's body on its pooled connection: read by ``read1``, each read on its own budget."""

    __slots__ = ("_conn", "_done", "_origin", "_resp", "_transport", "_url")

    def __init__(self, transport: HTTPClientTransport, origin: str, conn: Any, resp: Any, url: str) -> None:
        self._transport = transport
        self._origin = origin
        self._conn = conn
        self._resp = resp
        self._url = url
        self._done = False

    def read(self, timeout: float) -> bytes:
        if self._done:
            return b""
        self._conn.deadline = time.monotonic() + timeout
        error: TransportError | None = None
        try:
            chunk: bytes = self._resp.read1(CHUNK)
        except Exception as exc:  # mapped, then raised outside this block (SEC-4)
            error = _map_stream_error(exc, self._url)
        if error is not None:
            self._abort()
            raise error
        if chunk:
            return chunk
        if self._resp.length:  # read1 reports a Content-Length body cut short as a plain end
            self._abort()
            raise stream_ended_short(self._url, self._resp.length)
        self._done = True
        if self._resp.will_close:
            self._conn.close()
        else:
            self._transport._checkin(self._origin, self._conn)
        return b""

    def close(self) -> None:
        if not self._done:
            self._abort()

    def _abort(self) -> None:
        """STREAM-6: a connection with unread body never goes back to the pool."""
        self._done = True
        self._resp.close()
        self._conn.close()


def _map_stream_error(exc: BaseException, url: str) -> TransportError:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return timed_out(url)
    if isinstance(exc, (http.client.HTTPException, OSError)):
        return stream_broke(url, _reason(exc))
    return failed(url, exc)


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """An idle keep-alive connection that is readable has been closed by the server (or sent
    something unasked): either way it cannot carry the next request."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        if _POLL is not None:
            poller = _POLL()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)
    except (OSError, ValueError):
        return True


def _map_error(exc: BaseException, url: str) -> TransportError:
    if isinstance(exc, TransportError):  # ResponseTooLargeError or a bad gzip body from _bounds
        return exc
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return timed_out(url)
    if isinstance(exc, (http.client.HTTPException, OSError)):
        return broke(url, f"{_reason(exc)}")
    return failed(url, exc)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
