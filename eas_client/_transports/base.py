"""The two transport interfaces the clients drive, and the error text every engine's
``map_error`` shares (so an engine change never changes what a caller reads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .._core.errors import ConfigError, ConnectError, ReadError, ReadTimeoutError, TransportError
from .._core.flow import RawResponse, WireRequest


@dataclass(frozen=True)
class StreamHead(RawResponse):
    """A 2xx answer to a stream request: the status and headers, the body still on the wire.
    ``reader`` is the engine's :class:`SyncBody` or :class:`AsyncBody` for it. A non-2xx answer
    to a stream request is a plain RawResponse with its whole body (STREAM-2)."""

    reader: Any = field(default=None, repr=False, compare=False)


def is_success(status: int) -> bool:
    return 200 <= status <= 299


def cannot_stream(transport: object) -> ConfigError:
    return ConfigError(
        f"the transport {type(transport).__name__} cannot stream (it has no stream() method); "
        "use a built-in engine or an httpx client for stream() and chat()"
    )


def settle(result: RawResponse | TransportError | object | None) -> RawResponse:
    """What ``send`` returns for an exchange's result. A TransportError is raised here, outside
    any except block, so no engine exception rides along as its context (SEC-4)."""
    if isinstance(result, TransportError):
        raise result
    assert isinstance(result, RawResponse)
    return result


def connect_failed(url: str, reason: str) -> ConnectError:
    return ConnectError(f"cannot connect to {url}: {reason}")


def timed_out(url: str) -> ReadTimeoutError:
    return ReadTimeoutError(f"no response from {url} within the timeout")


def broke(url: str, reason: str) -> ReadError:
    return ReadError(f"connection to {url} broke before a full response: {reason}")


def failed(url: str, exc: BaseException) -> TransportError:
    return TransportError(f"request to {url} failed: {type(exc).__name__}: {exc}")


def stream_broke(url: str, reason: str) -> ReadError:
    return ReadError(f"connection to {url} broke in the middle of the body: {reason}")


def stream_ended_short(url: str, missing: int) -> ReadError:
    return ReadError(f"connection to {url} closed {missing} bytes before the declared Content-Length")


class SyncBody(Protocol):
    """The body of a StreamHead. ``read`` returns the next bytes as they arrive, waiting at most
    ``timeout`` s for one (ReadTimeoutError), ``b""`` at the body's end, ReadError when the
    connection breaks first; ``close`` gives back a fully read connection and closes any other."""

    def read(self, timeout: float) -> bytes: ...

    def close(self) -> None: ...


class AsyncBody(Protocol):
    async def read(self, timeout: float) -> bytes: ...

    async def close(self) -> None: ...


class SyncTransport(Protocol):
    def send(self, request: WireRequest) -> RawResponse: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    async def send(self, request: WireRequest) -> RawResponse: ...

    async def close(self) -> None: ...


class SyncStreamTransport(SyncTransport, Protocol):
    def stream(self, request: WireRequest) -> RawResponse: ...


class AsyncStreamTransport(AsyncTransport, Protocol):
    async def stream(self, request: WireRequest) -> RawResponse: ...
