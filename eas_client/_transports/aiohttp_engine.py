"""Async default engine: one aiohttp ClientSession, created on first use inside the running loop.

aiohttp's ``total`` timeout covers the whole attempt, body included (TIMEOUT-1); the body is
read in chunks under the size cap (LIMIT-1); a request that finds its reused connection closed
by the server is sent once more on a fresh one (CONN-1): aiohttp does that only for idempotent
methods, and also after a fresh connection failed, so it is done here.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import aiohttp
from yarl import URL

from .._core.errors import TransportError, too_large
from .._core.flow import RawResponse, WireRequest
from ._bounds import CHUNK
from .base import broke, connect_failed, failed, settle, timed_out

# Set when the connector opened a new connection for the request running in this task.
_FRESH: contextvars.ContextVar[bool] = contextvars.ContextVar("eas_fresh_connection", default=False)


class _Connector(aiohttp.TCPConnector):
    async def _create_connection(self, *args: Any, **kwargs: Any) -> Any:
        _FRESH.set(True)
        return await super()._create_connection(*args, **kwargs)


class AiohttpTransport:
    def __init__(self, *, pool_size: int, max_bytes: int | None = None) -> None:
        self._pool_size = pool_size
        self._max_bytes = max_bytes
        self._session: aiohttp.ClientSession | None = None
        self._fresh_session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float, float], aiohttp.ClientTimeout] = {}

    def _get_session(self, fresh: bool = False) -> aiohttp.ClientSession:
        session = self._fresh_session if fresh else self._session
        if session is None or session.closed:
            # limit=0: concurrency is bounded by the caller (predict_many), not by a second queue;
            # the resend session never pools, so every connection it makes is new.
            connector = _Connector(limit=0, limit_per_host=0, ttl_dns_cache=300, force_close=fresh)
            session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=True,
                skip_auto_headers=("Accept-Encoding",),
            )
            if fresh:
                self._fresh_session = session
            else:
                self._session = session
        return session

    async def send(self, request: WireRequest) -> RawResponse:
        method, origin, target, headers, body, timeout, connect_timeout = request
        key = (connect_timeout, timeout)
        tmo = self._timeouts.get(key)
        if tmo is None:
            # total: one budget from the first byte sent to the last byte read (TIMEOUT-1)
            tmo = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
            self._timeouts[key] = tmo
        url = origin + target
        result = await self._exchange(self._get_session(), method, url, headers, body, tmo)
        if result is None:  # CONN-1: once, at once, on a fresh connection
            result = await self._exchange(self._get_session(fresh=True), method, url, headers, body, tmo)
        return settle(result)

    async def _exchange(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        tmo: aiohttp.ClientTimeout,
    ) -> RawResponse | TransportError | None:
        """One request and its response; ``None`` when CONN-1 allows sending it again."""
        _FRESH.set(False)
        answered = False
        try:
            # encoded=True: the core already %-encoded the target (URL-6); yarl must not re-normalise
            # it (it would turn %2C back into ',').
            async with session.request(
                method, URL(url, encoded=True), data=body, headers=headers, timeout=tmo, allow_redirects=False
            ) as resp:
                answered = True
                data = await _read(resp, self._max_bytes, url)
                return RawResponse(resp.status, resp.headers, data)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not answered and not _FRESH.get() and _is_stale(exc):
                return None
            return map_error(exc, url)

    async def close(self) -> None:
        for session in (self._session, self._fresh_session):
            if session is not None:
                await session.close()
        self._session = self._fresh_session = None


async def _read(resp: aiohttp.ClientResponse, cap: int | None, url: str) -> bytes:
    declared = None if "Content-Encoding" in resp.headers else resp.content_length
    if cap is None or (declared is not None and declared <= cap):
        return await resp.read()
    if declared is not None:
        resp.close()  # the rest is never read: the connection cannot be reused
        raise too_large(url, cap, declared)
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = await resp.content.read(min(CHUNK, cap + 1 - total))
        if not chunk:
            return b"".join(parts)
        total += len(chunk)
        if total > cap:
            resp.close()
            raise too_large(url, cap)
        parts.append(chunk)


def _is_stale(exc: BaseException) -> bool:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return False
    return isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, ConnectionResetError))


def map_error(exc: BaseException, url: str) -> TransportError:
    if isinstance(exc, TransportError):  # ResponseTooLargeError from _read
        return exc
    connect_timeout = getattr(aiohttp, "ConnectionTimeoutError", None)
    if isinstance(exc, aiohttp.ClientConnectorError) or (
        connect_timeout is not None and isinstance(exc, connect_timeout)
    ):
        return connect_failed(url, f"{exc}")
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return timed_out(url)
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        return broke(url, f"{exc!r}")
    return failed(url, exc)
