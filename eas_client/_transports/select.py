"""Pick the engine for a client: the default, a named one, the caller's httpx client, or a custom one."""

from __future__ import annotations

from typing import Any

from .._core.errors import ConfigError

SYNC_ENGINES = ("http.client", "urllib3")
ASYNC_ENGINES = ("aiohttp",)


def select_transport(
    http_client: Any,
    pool_size: int,
    *,
    is_async: bool,
    engine: str | None = None,
    max_bytes: int | None = None,
) -> Any:
    if http_client is None:
        return _named(engine, pool_size, is_async, max_bytes)
    if engine is not None:
        raise ConfigError("pass either engine= or http_client=, not both")
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

        cls = AsyncHttpxTransport if is_async else HttpxTransport
        return cls(http_client, max_bytes=max_bytes)
    other = "EASClient takes httpx.Client" if is_async else "AsyncEASClient takes httpx.AsyncClient"
    raise ConfigError(f"http_client must be an httpx.{wanted}, not {type(http_client).__name__} ({other})")


def _named(engine: str | None, pool_size: int, is_async: bool, max_bytes: int | None) -> Any:
    known = ASYNC_ENGINES if is_async else SYNC_ENGINES
    name = engine if engine is not None else known[0]
    if name not in known:
        who = "AsyncEASClient" if is_async else "EASClient"
        raise ConfigError(
            f"{who} has no engine {engine!r}; use one of {', '.join(known)} "
            "(or http_client=httpx.Client(...) / httpx.AsyncClient(...))"
        )
    if name == "aiohttp":
        from .aiohttp_engine import AiohttpTransport

        return AiohttpTransport(pool_size=pool_size, max_bytes=max_bytes)
    if name == "urllib3":
        try:
            from .urllib3_engine import Urllib3Transport
        except ImportError as exc:
            if (exc.name or "").partition(".")[0] != "urllib3":
                raise
            raise ConfigError(
                "engine='urllib3' needs urllib3, which is not installed: pip install 'eas-client[urllib3]' "
                "(or leave engine unset for the built-in http.client engine)"
            ) from None

        return Urllib3Transport(pool_size=pool_size, max_bytes=max_bytes)
    from .httpclient_engine import HTTPClientTransport

    return HTTPClientTransport(pool_size=pool_size, max_bytes=max_bytes)
