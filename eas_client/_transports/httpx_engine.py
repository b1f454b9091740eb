"""httpx engine, selected by passing ``http_client=httpx.Client(...)`` or ``httpx.AsyncClient(...)``.
The caller owns that client (proxies, TLS, respx mocks) and closes it; we never do."""

from __future__ import annotations

from typing import Any

from .._core.errors import ConnectError, ReadError, ReadTimeoutError, TransportError
from .._core.flow import RawResponse


def _timeout(httpx: Any, timeout: float, connect_timeout: float) -> Any:
    return httpx.Timeout(timeout, connect=connect_timeout)


class HttpxTransport:
    def __init__(self, client: Any) -> None:
        import httpx

        self._httpx = httpx
        self._client = client

    def send(
        self,
        method: str,
        origin: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
        connect_timeout: float,
    ) -> RawResponse:
        url = origin + target
        try:
            resp = self._client.request(
                method,
                url,
                content=body,
                headers=headers,
                timeout=_timeout(self._httpx, timeout, connect_timeout),
            )
        except Exception as exc:
            raise map_error(self._httpx, exc, url) from exc
        return RawResponse(resp.status_code, resp.headers, resp.content)

    def close(self) -> None:
        """The caller owns the httpx client."""


class AsyncHttpxTransport:
    def __init__(self, client: Any) -> None:
        import httpx

        self._httpx = httpx
        self._client = client

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
        url = origin + target
        try:
            resp = await self._client.request(
                method,
                url,
                content=body,
                headers=headers,
                timeout=_timeout(self._httpx, timeout, connect_timeout),
            )
        except Exception as exc:
            raise map_error(self._httpx, exc, url) from exc
        return RawResponse(resp.status_code, resp.headers, resp.content)

    async def close(self) -> None:
        """The caller owns the httpx client."""


def map_error(httpx: Any, exc: BaseException, url: str) -> TransportError:
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return ConnectError(f"cannot connect to {url}: {exc}")
    if isinstance(exc, httpx.TimeoutException):
        return ReadTimeoutError(f"no response from {url} within the timeout")
    if isinstance(exc, (httpx.TransportError, OSError)):
        return ReadError(f"connection to {url} broke before a full response: {exc!r}")
    return TransportError(f"request to {url} failed: {type(exc).__name__}: {exc}")
