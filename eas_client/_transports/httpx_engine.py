"""httpx engine, selected by passing ``http_client=httpx.Client(...)`` or ``httpx.AsyncClient(...)``.
The caller owns that client (proxies, TLS, respx mocks) and closes it; we never do.

httpx times out per network read only, so responses are streamed: the async twin runs the whole
attempt under ``asyncio.wait_for`` (TIMEOUT-1). The sync twin cannot be cancelled that way, and
httpcore fixes a read timeout once per phase (headers, body), so a read that starts late would
wait a whole ``timeout`` more: it arms the watchdog (``_watchdog.py``) on the attempt's socket,
which shuts the socket down when the budget runs out, and keeps each phase's read timeout as a
backstop. The socket is learnt from httpcore's trace events (a new connection), from the frame
that sends the request (a connection reused from the pool), and from the response's
``network_stream`` extension. An HTTP/2 connection carries other requests too and is never shut
down; there each read is bounded by what was left of the budget when its phase began.
The body is read in chunks under the size cap (LIMIT-1). httpcore reports new connections through
its ``trace`` extension, which tells a closed reused connection (resent once, CONN-1) from a fresh one.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from .._core.errors import TransportError, too_large
from .._core.flow import RawResponse, WireRequest
from ._bounds import CappedGunzip
from ._watchdog import WATCHDOG, Alarm
from .base import StreamHead, broke, connect_failed, failed, is_success, settle, timed_out

_NEW_CONNECTION = "connection.connect_tcp.started"
_CONNECTED = ("connection.connect_tcp.complete", "connection.start_tls.complete")
_SENDING = "http11.send_request_headers.started"
_AWAITING = ("http11.receive_response_headers.started", "http2.receive_response_headers.started")
# What the backstop read timeout adds to the budget when the watchdog holds the socket, so the
# watchdog, not httpcore, is what ends the attempt (and shuts a socket nobody closed yet).
_BACKSTOP = 0.5


def _timeout(httpx: Any, timeout: float, connect_timeout: float) -> Any:
    return httpx.Timeout(timeout, connect=connect_timeout)


class _Watch:
    """httpcore trace callback: records whether this request opened a connection, and whether
    its response arrived."""

    __slots__ = ("answered", "fresh")

    def __init__(self) -> None:
        self.fresh = False
        self.answered = False

    def __call__(self, event: str, info: object) -> None:
        if event == _NEW_CONNECTION:
            self.fresh = True


class _SyncWatch(Alarm):
    """The sync attempt's trace callback and watchdog alarm: arms the watchdog on the socket the
    request goes out on, and gives the header phase a read timeout of what is left."""

    __slots__ = ("fresh", "stream")

    def __init__(self, deadline: float) -> None:
        super().__init__(deadline)
        self.fresh = False
        self.stream: Any = None

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        if event == _SENDING:
            self.watch(self.stream or _sending_stream())
        elif event in _AWAITING:
            left = max(self.deadline - time.monotonic(), 0.001)
            timeouts = info["request"].extensions.get("timeout")
            if isinstance(timeouts, dict):
                timeouts["read"] = left + _BACKSTOP if self.armed else left
        elif event == _NEW_CONNECTION:
            self.fresh = True
        elif event in _CONNECTED:
            self.stream = info.get("return_value")

    def watch(self, stream: Any) -> None:
        sock = None if stream is None else stream.get_extra_info("socket")
        if sock is not None:
            WATCHDOG.arm(self, sock)


def _sending_stream() -> Any:
    """The stream of a connection reused from the pool (no connect event named it): this trace
    callback runs inside the HTTP/1.1 connection's ``handle_request``, whose ``self`` holds it.
    None if httpcore ever stops looking like that; the read timeouts still bound the attempt."""
    frame = sys._getframe(2)
    for _ in range(6):
        stream = getattr(frame.f_locals.get("self"), "_network_stream", None)
        if stream is not None or frame.f_back is None:
            return stream
        frame = frame.f_back
    return None


class _AsyncWatch(_Watch):
    __slots__ = ()

    async def __call__(self, event: str, info: object) -> None:  # type: ignore[override]
        if event == _NEW_CONNECTION:
            self.fresh = True


class HttpxTransport:
    def __init__(self, client: Any, *, max_bytes: int | None = None) -> None:
        import httpx

        self._httpx = httpx
        self._client = client
        self._max_bytes = max_bytes

    def send(self, request: WireRequest) -> RawResponse:
        return self._send(request, False)

    def stream(self, request: WireRequest) -> RawResponse:
        """A 2xx answer comes back as a StreamHead whose body is read on demand (STREAM-1); the
        watchdog bounds the wait for the headers, each body read its own budget (``_Body``)."""
        return self._send(request, True)

    def _send(self, request: WireRequest, stream: bool) -> RawResponse:
        method, origin, target, headers, body, timeout, connect_timeout = request
        args = (method, origin + target, headers, body, timeout, connect_timeout)
        result = self._exchange(*args, stream=stream)
        if result is None:  # CONN-1: once, at once
            result = self._exchange(*args, resend=True, stream=stream)
        return settle(result)

    def _exchange(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
        connect_timeout: float,
        resend: bool = False,
        stream: bool = False,
    ) -> RawResponse | TransportError | None:
        httpx = self._httpx
        watch = _SyncWatch(time.monotonic() + timeout)
        resp = None
        head: StreamHead | None = None
        data = b""
        try:
            request = self._client.build_request(
                method,
                url,
                content=body,
                headers=headers,
                timeout=_timeout(httpx, timeout, connect_timeout),
                extensions={"trace": watch},
            )
            try:
                resp = self._client.send(request, stream=True)
                if not watch.armed and resp.http_version in _HTTP1:
                    watch.watch(resp.extensions.get("network_stream"))
                if stream and is_success(resp.status_code):  # the headers were in time: hand the body on
                    reader = _Body(httpx, resp, url, request.extensions.get("timeout"))
                    head = StreamHead(resp.status_code, resp.headers, b"", reader)
                else:
                    data = _collect(resp, self._max_bytes, url, watch.deadline)
            finally:
                if watch.armed:  # before the connection is pooled or closed
                    WATCHDOG.disarm(watch)
                if resp is not None and head is None:
                    resp.close()
            if watch.fired:  # a body that ends at the close is cut short, not whole
                if head is not None:
                    head.reader.close()
                raise TimeoutError("the attempt's timeout ran out")
        except Exception as exc:
            if watch.fired:
                return timed_out(url)
            if resp is None and not resend and not watch.fresh and _is_stale(httpx, exc):
                return None
            return map_error(httpx, exc, url)
        if head is not None:
            return head
        return RawResponse(resp.status_code, resp.headers, data)

    def close(self) -> None:
        """The caller owns the httpx client."""


class AsyncHttpxTransport:
    def __init__(self, client: Any, *, max_bytes: int | None = None) -> None:
        import httpx

        self._httpx = httpx
        self._client = client
        self._max_bytes = max_bytes

    async def send(self, request: WireRequest) -> RawResponse:
        return await self._send(request, False)

    async def stream(self, request: WireRequest) -> RawResponse:
        """Async :meth:`HttpxTransport.stream`; a read on a deadline budget shorter than the
        per-read timeout is cut by ``wait_for``."""
        return await self._send(request, True)

    async def _send(self, request: WireRequest, stream: bool) -> RawResponse:
        method, origin, target, headers, body, timeout, connect_timeout = request
        args = (method, origin + target, headers, body, timeout, connect_timeout)
        result = await self._exchange(*args, stream=stream)
        if result is None:  # CONN-1: once, at once
            result = await self._exchange(*args, resend=True, stream=stream)
        return settle(result)

    async def _exchange(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
        connect_timeout: float,
        resend: bool = False,
        stream: bool = False,
    ) -> RawResponse | TransportError | None:
        httpx = self._httpx
        watch = _AsyncWatch()
        request = self._client.build_request(
            method,
            url,
            content=body,
            headers=headers,
            timeout=_timeout(httpx, timeout, connect_timeout),
            extensions={"trace": watch},
        )
        try:
            return await asyncio.wait_for(self._fetch(request, url, watch, stream, timeout), timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not watch.answered and not resend and not watch.fresh and _is_stale(httpx, exc):
                return None
            return map_error(httpx, exc, url)

    async def _fetch(
        self, request: Any, url: str, watch: _Watch, stream: bool, timeout: float
    ) -> RawResponse:
        resp = await self._client.send(request, stream=True)
        watch.answered = True
        if stream and is_success(resp.status_code):
            return StreamHead(
                resp.status_code, resp.headers, b"", _AsyncBody(self._httpx, resp, url, timeout)
            )
        try:
            data = await _acollect(resp, self._max_bytes, url)
        finally:
            await resp.aclose()
        return RawResponse(resp.status_code, resp.headers, data)

    async def close(self) -> None:
        """The caller owns the httpx client."""


_HTTP1 = ("HTTP/1.1", "HTTP/1.0")


class _Body:
    """A stream's body through ``iter_raw``. httpcore looks the read timeout up in the request's
    timeout dict for every network read, so each read gets exactly its own budget (STREAM-4/5)."""

    __slots__ = ("_done", "_httpx", "_it", "_resp", "_timeouts", "_url")

    def __init__(self, httpx: Any, resp: Any, url: str, timeouts: object) -> None:
        self._httpx = httpx
        self._resp = resp
        self._url = url
        self._timeouts = timeouts if isinstance(timeouts, dict) else {}
        self._it = resp.iter_raw()
        self._done = False

    def read(self, timeout: float) -> bytes:
        if self._done:
            return b""
        self._timeouts["read"] = timeout
        error: TransportError | None = None
        try:
            chunk: bytes = next(self._it, b"")
        except Exception as exc:  # mapped, then raised outside this block (SEC-4)
            error = map_error(self._httpx, exc, self._url)
        if error is not None:
            self.close()
            raise error
        if not chunk:
            self._done = True
            self._resp.close()  # read to its end: httpx gives the connection back
        return chunk

    def close(self) -> None:
        """STREAM-6: closing an unread response makes httpcore drop its connection."""
        if not self._done:
            self._done = True
            self._resp.close()


class _AsyncBody:
    __slots__ = ("_done", "_httpx", "_it", "_read_timeout", "_resp", "_url")

    def __init__(self, httpx: Any, resp: Any, url: str, read_timeout: float) -> None:
        self._httpx = httpx
        self._resp = resp
        self._url = url
        self._read_timeout = read_timeout
        self._it = resp.aiter_raw()
        self._done = False

    async def read(self, timeout: float) -> bytes:
        if self._done:
            return b""
        error: TransportError | None = None
        try:
            if timeout < self._read_timeout:
                chunk: bytes = await asyncio.wait_for(anext(self._it, b""), timeout)
            else:
                chunk = await anext(self._it, b"")
        except asyncio.CancelledError:
            await self.close()
            raise
        except Exception as exc:  # mapped, then raised outside this block (SEC-4)
            error = map_error(self._httpx, exc, self._url)
        if error is not None:
            await self.close()
            raise error
        if not chunk:
            self._done = True
            await self._resp.aclose()
        return chunk

    async def close(self) -> None:
        if not self._done:
            self._done = True
            await self._resp.aclose()


def _declared(resp: Any, cap: int | None, url: str) -> None:
    length = resp.headers.get("content-length")
    if cap is not None and length is not None and "content-encoding" not in resp.headers:
        if length.isdigit() and int(length) > cap:
            raise too_large(url, cap, int(length))


def _gzipped(resp: Any) -> bool:
    """httpx decodes a whole network chunk at once, so a 64 KiB chunk of a gzip bomb would become
    some 64 MiB before the cap is checked; gzip bodies are read raw and decoded under the cap."""
    encoding = resp.headers.get("content-encoding")
    return encoding is not None and encoding.strip().lower() == "gzip"


def _collect(resp: Any, cap: int | None, url: str, deadline: float) -> bytes:
    _declared(resp, cap, url)
    if _gzipped(resp):
        body = CappedGunzip(cap, url)
        for chunk in resp.iter_raw():
            body.feed(chunk)
            if time.monotonic() > deadline:
                raise TimeoutError("the attempt's timeout ran out")
        return body.result()
    parts = []
    total = 0
    for chunk in resp.iter_bytes():
        total += len(chunk)
        if cap is not None and total > cap:
            raise too_large(url, cap)
        if time.monotonic() > deadline:
            raise TimeoutError("the attempt's timeout ran out")
        parts.append(chunk)
    return b"".join(parts)


async def _acollect(resp: Any, cap: int | None, url: str) -> bytes:
    _declared(resp, cap, url)
    if _gzipped(resp):
        body = CappedGunzip(cap, url)
        async for chunk in resp.aiter_raw():
            body.feed(chunk)
        return body.result()
    parts = []
    total = 0
    async for chunk in resp.aiter_bytes():
        total += len(chunk)
        if cap is not None and total > cap:
            raise too_large(url, cap)
        parts.append(chunk)
    return b"".join(parts)


def _is_stale(httpx: Any, exc: BaseException) -> bool:
    return isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError))


def map_error(httpx: Any, exc: BaseException, url: str) -> TransportError:
    if isinstance(exc, TransportError):  # ResponseTooLargeError
        return exc
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return connect_failed(url, f"{exc}")
    if isinstance(exc, (httpx.TimeoutException, TimeoutError, asyncio.TimeoutError)):
        return timed_out(url)
    if isinstance(exc, (httpx.TransportError, OSError)):
        return broke(url, f"{exc!r}")
    return failed(url, exc)
