"""``stream()``, ``chat()`` and ``openai()`` for both twins (spec/protocol.md §13).

A stream call is a predict call (same preparation and call loop, ``BaseClient._flow``) whose
engine hands back a 2xx answer with its body still on the wire; the mixins here open it, wrap it
in an :class:`EASStream`/:class:`AsyncEASStream` and read chats from it. The rules live in the
core (``_core.stream``, ``_core.sse``, ``_core.chat``).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from ._core.chat import ChatReader, ChatRequest, ChatResult, chat_request, parse_chat_response
from ._core.endpoint import Params
from ._core.errors import ConfigError, StreamError, StreamIncompleteError
from ._core.flow import PreparedRequest
from ._core.stream import StreamContext, with_accept
from ._stream import AsyncEASStream, EASStream
from ._transports.base import StreamHead, cannot_stream

_NO_DONE = "the chat stream ended without [DONE]: the service or a proxy cut the answer short"


def stream_request(
    client: Any,
    data: object,
    path: str | None = None,
    params: Params | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
) -> PreparedRequest:
    if not hasattr(client._transport, "stream"):
        raise cannot_stream(client._transport)
    req: PreparedRequest = client._prepare(data, path, params, headers, timeout, max_retries)
    with_accept(req.headers)
    return req


def _context(client: Any, req: PreparedRequest, attempts: int, status: int) -> StreamContext:
    cfg = client._config
    return StreamContext(
        cfg.endpoint.url,
        cfg.endpoint.service,
        attempts,
        status,
        cfg.credential,
        req.timeout,
        req.policy.deadline,
    )


def chat_call(req: ChatRequest) -> dict[str, Any]:
    return {"path": req.path, "headers": {"Content-Type": "application/json", "Accept": req.accept}}


class StreamOpener:
    """``with client.stream(...) as stream:`` sends the request on entering (retrying as predict
    does until a 2xx answer's headers arrive) and closes the stream on leaving."""

    def __init__(self, client: Any, req: PreparedRequest) -> None:
        self._client = client
        self._req = req
        self._stream: EASStream | None = None

    def __enter__(self) -> EASStream:
        client = self._client
        started = client._monotonic()
        raw, attempts = client._call(self._req, stream=True)
        assert isinstance(raw, StreamHead)
        ctx = _context(client, self._req, attempts, raw.status)
        self._stream = EASStream(raw, ctx, client._monotonic, started, client._config.max_response_bytes)
        return self._stream

    def __exit__(self, *exc: object) -> None:
        if self._stream is not None:
            self._stream.close()


class AsyncStreamOpener:
    """``async with client.stream(...) as stream:``, the asyncio twin of :class:`StreamOpener`."""

    def __init__(self, client: Any, req: PreparedRequest) -> None:
        self._client = client
        self._req = req
        self._stream: AsyncEASStream | None = None

    async def __aenter__(self) -> AsyncEASStream:
        client = self._client
        started = client._monotonic()
        raw, attempts = await client._call(self._req, stream=True)
        assert isinstance(raw, StreamHead)
        ctx = _context(client, self._req, attempts, raw.status)
        self._stream = AsyncEASStream(raw, ctx, client._monotonic, started, client._config.max_response_bytes)
        return self._stream

    async def __aexit__(self, *exc: object) -> None:
        if self._stream is not None:
            await self._stream.close()


class ChatStream:
    """The text deltas of a streamed chat (STREAM-12); ``usage`` and ``finish_reason`` are set
    once the stream has ended, ``text`` is the answer so far.

    Example::

        with client.chat([{"role": "user", "content": "Hi"}]) as chat:
            for delta in chat:
                print(delta, end="")
        print(chat.usage)
    """

    def __init__(self, opener: StreamOpener) -> None:
        self._opener = opener
        self._reader = ChatReader()
        self._parts: list[str] = []
        self._run: Iterator[str] | None = None

    @property
    def usage(self) -> dict[str, Any] | None:
        return self._reader.usage

    @property
    def finish_reason(self) -> str | None:
        return self._reader.finish_reason

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def __iter__(self) -> Iterator[str]:
        if self._run is None:
            self._run = self._deltas()
        return self._run

    def _deltas(self) -> Iterator[str]:
        reader, parts = self._reader, self._parts
        with self._opener as stream:
            for event in stream.iter_events():
                try:
                    deltas = reader.take(event)
                except StreamError as exc:
                    stream._kept.take_back()  # the event that failed reached no caller
                    raise stream._stop(exc) from None
                for delta in deltas:
                    parts.append(delta)
                    yield delta
                if reader.done:
                    return
            raise stream._stop(StreamIncompleteError(_NO_DONE))

    def close(self) -> None:
        if self._run is not None:
            self._run.close()  # type: ignore[attr-defined]

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncChatStream:
    """The asyncio twin of :class:`ChatStream`: ``async for delta in client.chat(messages)``."""

    def __init__(self, opener: AsyncStreamOpener) -> None:
        self._opener = opener
        self._reader = ChatReader()
        self._parts: list[str] = []
        self._run: AsyncIterator[str] | None = None

    usage = ChatStream.usage
    finish_reason = ChatStream.finish_reason
    text = ChatStream.text

    def __aiter__(self) -> AsyncIterator[str]:
        if self._run is None:
            self._run = self._deltas()
        return self._run

    async def _deltas(self) -> AsyncIterator[str]:
        reader, parts = self._reader, self._parts
        async with self._opener as stream:
            async for event in stream.iter_events():
                try:
                    deltas = reader.take(event)
                except StreamError as exc:
                    stream._kept.take_back()  # the event that failed reached no caller
                    raise await stream._stop(exc) from None
                for delta in deltas:
                    parts.append(delta)
                    yield delta
                if reader.done:
                    return
            raise await stream._stop(StreamIncompleteError(_NO_DONE))

    async def close(self) -> None:
        if self._run is not None:
            await self._run.aclose()  # type: ignore[attr-defined]

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def openai_kwargs(client: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``base_url`` = the service URL + ``/v1``, ``api_key`` = the token (the gateway takes it as
    ``Bearer``), our timeout, retries and client-wide headers; the caller's keywords win."""
    cfg = client._config
    if cfg.endpoint_type == "direct":
        raise ConfigError(
            "openai() talks to the service URL through the gateway; direct mode picks an instance per "
            "call, which the openai client cannot do: use client.chat() or a gateway endpoint"
        )
    out: dict[str, Any] = {
        "base_url": cfg.endpoint.url.rstrip("/") + "/v1",
        "api_key": cfg.token or "EMPTY",
        "timeout": cfg.timeout,
        "max_retries": cfg.retry.max_retries,
    }
    if cfg.headers:
        out["default_headers"] = dict(cfg.headers)
    out.update(kwargs)
    return out


def import_openai() -> Any:
    try:
        openai = importlib.import_module("openai")
    except ImportError:
        raise ConfigError(
            "client.openai() needs the official openai package: pip install 'eas-client[openai]' "
            "(or use client.chat(), which needs nothing more)"
        ) from None
    return openai


__all__ = [
    "AsyncChatStream",
    "AsyncStreamOpener",
    "ChatResult",
    "ChatStream",
    "StreamOpener",
    "chat_request",
    "parse_chat_response",
]
