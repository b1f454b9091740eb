"""Async default engine: one aiohttp ClientSession, created on first use inside the running loop."""

from __future__ import annotations

import asyncio

import aiohttp

from .._core.errors import ConnectError, ReadError, ReadTimeoutError, TransportError
from .._core.flow import RawResponse


class AiohttpTransport:
    def __init__(self, *, pool_size: int) -> None:
        self._pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float, float], aiohttp.ClientTimeout] = {}

    def _get_session(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None or session.closed:
            # limit=0: concurrency is bounded by the caller (predict_many), not by a second queue
            connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, ttl_dns_cache=300)
            session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=True,
                skip_auto_headers=("Accept-Encoding",),
            )
            self._session = session
        return session

    async def send(
        self,
        method: str,
        origin: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
        connect_timeout: float,
    ) -> RawResponse:
        key = (connect_timeout, timeout)
        tmo = self._timeouts.get(key)
        if tmo is None:
            tmo = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout, sock_read=timeout)
            self._timeouts[key] = tmo
        url = origin + target
        try:
            async with self._get_session().request(
                method, url, data=body, headers=headers, timeout=tmo, allow_redirects=False
            ) as resp:
                data = await resp.read()
                return RawResponse(resp.status, resp.headers, data)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise map_error(exc, url) from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def map_error(exc: BaseException, url: str) -> TransportError:
    connect_timeout = getattr(aiohttp, "ConnectionTimeoutError", None)
    if isinstance(exc, aiohttp.ClientConnectorError) or (
        connect_timeout is not None and isinstance(exc, connect_timeout)
    ):
        return ConnectError(f"cannot connect to {url}: {exc}")
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return ReadTimeoutError(f"no response from {url} within the timeout")
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        return ReadError(f"connection to {url} broke before a full response: {exc!r}")
    return TransportError(f"request to {url} failed: {type(exc).__name__}: {exc}")
