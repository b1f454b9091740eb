"""Pick the engine for a client: the default, the caller's httpx client, or a custom transport."""

from __future__ import annotations

from typing import Any

from .._core.errors import ConfigError


def select_transport(http_client: Any, pool_size: int, *, is_async: bool) -> Any:
    if http_client is None:
        if is_async:
            from .aiohttp_engine import AiohttpTransport

            return AiohttpTransport(pool_size=pool_size)
        from .urllib3_engine import Urllib3Transport

        return Urllib3Transport(pool_size=pool_size)
    # Anything with send() and close() but no request() is a transport of the caller's own
    # (tests, custom engines); httpx clients have all three and take the httpx adapter.
    if hasattr(http_client, "send") and hasattr(http_client, "close") and not hasattr(http_client, "request"):
        return http_client
    wanted = "AsyncClient" if is_async else "Client"
    try:
        import httpx

        httpx_class: Any = getattr(httpx, wanted)
    except ImportError:
        httpx_class = None
    if httpx_class is not None and isinstance(http_client, httpx_class):
        from .httpx_engine import AsyncHttpxTransport, HttpxTransport

        return AsyncHttpxTransport(http_client) if is_async else HttpxTransport(http_client)
    other = "EASClient takes httpx.Client" if is_async else "AsyncEASClient takes httpx.AsyncClient"
    raise ConfigError(f"http_client must be an httpx.{wanted}, not {type(http_client).__name__} ({other})")
