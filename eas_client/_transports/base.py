"""The two transport interfaces the clients drive, and the error text every engine's
``map_error`` shares (so an engine change never changes what a caller reads)."""

from __future__ import annotations

from typing import Protocol

from .._core.errors import ConnectError, ReadError, ReadTimeoutError, TransportError
from .._core.flow import RawResponse, WireRequest


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


class SyncTransport(Protocol):
    def send(self, request: WireRequest) -> RawResponse: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    async def send(self, request: WireRequest) -> RawResponse: ...

    async def close(self) -> None: ...
