"""Backends the gateway forwards to instead of a processor: any HTTP server (``eas serve --upstream
http://127.0.0.1:8000``) or an ASGI app in this process (``eas serve module:app``), as EAS puts its
gateway in front of a custom image.

``/api/predict/<service>/<sub-path>?<query>`` goes to ``<upstream>/<sub-path>?<query>`` (the ASGI
app sees the same path), with the method, the body and the caller's headers except the hop-by-hop
ones, ``Host`` (the upstream's own; an ASGI app gets the caller's), ``Authorization`` (the gateway's
credential) and ``Accept-Encoding`` (sent as ``identity``, so the backend never compresses a stream,
which would hold it back until the end). ``X-Forwarded-For`` and ``X-Forwarded-Prefix``
(``/api/predict/<service>``) are added. The answer comes back chunk by chunk as it arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes, urlsplit

from .errors import ServeError
from .streams import AHEAD, StreamFailed
from .upstream import ConnectFailed, UpstreamPool

Scope = dict[str, Any]
Message = dict[str, Any]
AsgiApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]
# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    (
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    )
)
CONNECT_TIMEOUT_S = 5.0
_LEFT: Message = {"type": "eas.caller-left"}  # put by close(): the caller is gone, stop reading
logger = logging.getLogger("eas_client.server")


class HeadTimeout(Exception):
    """No answer head within rpc.keepalive: the gateway's 408."""


class BackendUnavailable(Exception):
    """No answer head from the backend (cannot connect, connection lost, the app raised): a 502."""


@dataclass
class Outgoing:
    """One call as the backend gets it."""

    method: str
    raw_path: bytes  # the sub-path, still %-encoded, starting with "/"
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    prefix: str
    client: tuple[str, int] | None = None


@dataclass
class Reply:
    """A backend's answer: the head now, the body as it comes; ``close()`` drops the rest."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: AsyncIterator[bytes]
    close: Callable[[], None] = field(default=lambda: None)


class Backend(Protocol):
    label: str

    async def start(self) -> None: ...

    async def open(self, call: Outgoing, timeout: float) -> Reply:
        """The answer head, or :class:`HeadTimeout` after ``timeout`` s, or BackendUnavailable."""

    async def close(self) -> None: ...


def request_headers(headers: list[tuple[bytes, bytes]], *, keep_host: bool) -> list[tuple[bytes, bytes]]:
    """The caller's headers as forwarded (see the module docstring)."""
    named = {v.strip().lower() for k, v in headers if k == b"connection" for v in v.split(b",")}
    dropped = HOP_BY_HOP | named | {b"authorization", b"accept-encoding", b"content-length"}
    if not keep_host:
        dropped = dropped | {b"host"}
    out = [(k, v) for k, v in headers if k not in dropped]
    out.append((b"accept-encoding", b"identity"))
    return out


def response_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    named = {v.strip().lower() for k, v in headers if k == b"connection" for v in v.split(b",")}
    return [(k, v) for k, v in headers if k not in HOP_BY_HOP and k not in named]


class UpstreamBackend:
    """An HTTP server at ``base`` (``http://host:port[/prefix]``)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServeError(f"--upstream {base!r} must be an http:// or https:// URL with a host")
        if parts.query or parts.fragment:
            raise ServeError(f"--upstream {base!r} must not carry a query or fragment")
        self.base = base.rstrip("/")
        self.label = self.base
        self._prefix = parts.path.rstrip("/").encode("latin-1")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        self._pool = UpstreamPool(parts.hostname, port, CONNECT_TIMEOUT_S, tls=parts.scheme == "https")

    async def start(self) -> None:
        pass  # connections open on the first call: the upstream may start after the gateway

    async def open(self, call: Outgoing, timeout: float) -> Reply:
        target = self._prefix + call.raw_path + (b"?" + call.query if call.query else b"")
        try:
            status, headers, exchange = await self._pool.request(
                call.method, target, call.headers, call.body, timeout
            )
        except asyncio.TimeoutError:
            raise HeadTimeout() from None
        except ConnectFailed as exc:
            raise BackendUnavailable(f"upstream {self.base} is unreachable ({exc})") from None
        generation = exchange.generation
        body = exchange.body(self._pool)
        return Reply(status, response_headers(headers), body, lambda: exchange.abandon(generation))

    async def close(self) -> None:
        self._pool.close()


class AsgiBackend:
    """An ASGI app run in this process, seeing the path the upstream would (``/<sub-path>``)."""

    def __init__(self, app: AsgiApp, label: str) -> None:
        self.app = app
        self.label = label
        self._lifespan: _Lifespan | None = None

    async def start(self) -> None:
        self._lifespan = _Lifespan(self.app)
        await self._lifespan.startup()

    async def close(self) -> None:
        if self._lifespan is not None:
            await self._lifespan.shutdown()

    async def open(self, call: Outgoing, timeout: float) -> Reply:
        try:
            return await asyncio.wait_for(self._open(call), timeout)
        except asyncio.TimeoutError:
            raise HeadTimeout() from None

    async def _open(self, call: Outgoing) -> Reply:
        messages: asyncio.Queue[Message | BaseException | None] = asyncio.Queue(AHEAD)
        left = asyncio.Event()
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": call.body, "more_body": False}
            await left.wait()
            return {"type": "http.disconnect"}

        async def run() -> None:
            try:
                await self.app(_scope(call), receive, messages.put)
            except Exception as exc:  # reported to the caller: before the head a 502, after it a cut
                await messages.put(exc)
            else:
                await messages.put(None)

        task = asyncio.ensure_future(run())

        def close() -> None:
            left.set()
            task.cancel()
            # The body reader may be waiting for a message the cancelled app will never send.
            while messages.full():
                messages.get_nowait()
            messages.put_nowait(_LEFT)

        try:
            first = await messages.get()
        except asyncio.CancelledError:  # timed out waiting for the head (408)
            close()
            raise
        if not isinstance(first, dict) or first.get("type") != "http.response.start":
            close()
            what = f"{type(first).__name__}: {first}" if isinstance(first, BaseException) else "no answer"
            raise BackendUnavailable(f"ASGI app {self.label} failed before answering ({what})")
        headers = [(bytes(k).lower(), bytes(v)) for k, v in first.get("headers", [])]
        return Reply(int(first["status"]), response_headers(headers), _app_body(messages), close)


async def _app_body(messages: asyncio.Queue[Message | BaseException | None]) -> AsyncIterator[bytes]:
    while True:
        message = await messages.get()
        if isinstance(message, BaseException):
            raise StreamFailed(f"the ASGI app failed while streaming ({type(message).__name__}: {message})")
        if message is _LEFT:
            return
        if message is None:
            raise StreamFailed("the ASGI app returned without finishing its answer")
        if message.get("type") != "http.response.body":
            continue  # e.g. http.response.trailers: nothing a plain HTTP/1.1 answer can carry here
        body = bytes(message.get("body", b""))
        if body:
            yield body
        if not message.get("more_body", False):
            return


def _scope(call: Outgoing) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": call.method,
        "scheme": "http",
        "path": unquote_to_bytes(call.raw_path).decode("utf-8", "replace"),
        "raw_path": call.raw_path,
        "query_string": call.query,
        "root_path": "",
        "headers": call.headers,
        "client": call.client,
        "server": None,
    }


class _Lifespan:
    """The ASGI lifespan protocol, so an app's startup code (loading a model) runs before the first
    call; an app that does not speak it (raises on the scope) runs without."""

    def __init__(self, app: AsgiApp) -> None:
        self.app = app
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        async def run() -> None:
            try:
                await self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, self._to_app.get, self._send)
            except Exception:  # an app without lifespan support: nothing to start
                pass
            await self._from_app.put(None)

        self._task = asyncio.ensure_future(run())
        await self._to_app.put({"type": "lifespan.startup"})
        answer = await self._from_app.get()
        if answer is not None and answer["type"] == "lifespan.startup.failed":
            raise ServeError(f"the ASGI app's startup failed: {answer.get('message', '')}")
        if answer is None:
            self._task = None

    async def _send(self, message: Message) -> None:
        await self._from_app.put(message)

    async def shutdown(self) -> None:
        if self._task is None:
            return
        await self._to_app.put({"type": "lifespan.shutdown"})
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._from_app.get(), 10)
        self._task.cancel()


def load_asgi_app(target: str) -> AsgiApp:
    """``module:attribute`` (``examples.llm.app:app``), imported with the working directory on the
    path as ``uvicorn`` does."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ServeError(f"{target!r} is not module:attribute (e.g. examples.llm.app:app)")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ServeError(f"cannot import {module_name!r} for the ASGI app {target!r}: {exc}") from None
    app: Any = module
    for name in attribute.split("."):
        app = getattr(app, name, None)
        if app is None:
            raise ServeError(f"module {module_name!r} has no attribute {attribute!r}")
    if not callable(app):
        raise ServeError(f"{target!r} is not an ASGI app (not callable)")
    return app  # type: ignore[no-any-return]


def is_asgi_target(source: object) -> bool:
    """``module:attr`` rather than a processor file path."""
    return isinstance(source, str) and ":" in source and not source.endswith(".py") and "/" not in source
