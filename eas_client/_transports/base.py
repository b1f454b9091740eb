"""The two transport interfaces the clients drive."""

from __future__ import annotations

from typing import Protocol

from .._core.flow import RawResponse


class SyncTransport(Protocol):
    def send(
        self,
        method: str,
        origin: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
        connect_timeout: float,
    ) -> RawResponse: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    async def send(
        self,
        method: str,
        origin: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
        connect_timeout: float,
    ) -> RawResponse: ...

    async def close(self) -> None: ...
