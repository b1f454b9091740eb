"""Shared fixtures: ``make_client`` builds a client for every engine behind one sync-looking
facade, so each behaviour is tested once for both twins (and the httpx engine of each)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from eas_client import AsyncEASClient, EASClient

ENGINES = ["sync-httpclient", "sync-urllib3", "async-aiohttp", "sync-httpx", "async-httpx"]


class AsyncFacade:
    """Runs an AsyncEASClient's coroutines on a private event loop so tests call it like the sync one."""

    def __init__(self, client: AsyncEASClient, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if name in ("predict", "request", "predict_many", "close"):
            return lambda *a, **kw: self._loop.run_until_complete(attr(*a, **kw))
        return attr


def collect_stream(
    client: Any, data: object, read: str, received: list[Any], stop_after: int | None = None, **kwargs: Any
) -> Any:
    """Open a stream on ``client`` (either twin, through its facade), read it with
    ``iter_<read>()`` into ``received`` until its end or ``stop_after`` items, close it and return
    it. An error propagates with ``received`` holding what arrived before it."""
    if isinstance(client, AsyncFacade):
        return client._loop.run_until_complete(
            _acollect(client.client, data, read, received, stop_after, kwargs)
        )
    with client.stream(data, **kwargs) as stream:
        if stop_after != 0:
            for item in getattr(stream, f"iter_{read}")():
                received.append(item)
                if stop_after is not None and len(received) >= stop_after:
                    break
    return stream


async def _acollect(
    client: AsyncEASClient, data: object, read: str, received: list[Any], stop_after: int | None, kwargs: Any
) -> Any:
    async with client.stream(data, **kwargs) as stream:
        if stop_after != 0:
            async for item in getattr(stream, f"iter_{read}")():
                received.append(item)
                if stop_after is not None and len(received) >= stop_after:
                    break
    return stream


class ClientFactory:
    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.is_async = engine.startswith("async")
        self._cleanups: list[Callable[[], None]] = []
        self._loop = asyncio.new_event_loop() if self.is_async else None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        rand = kwargs.pop("rand", None)
        clock = kwargs.pop("clock", None)
        if self.engine == "sync-urllib3":
            kwargs["engine"] = "urllib3"
        if self.engine == "sync-httpx":
            hc = httpx.Client()
            self._cleanups.append(hc.close)
            kwargs["http_client"] = hc
        if self.engine == "async-httpx":
            ahc = httpx.AsyncClient()
            assert self._loop is not None
            loop = self._loop
            self._cleanups.append(lambda: loop.run_until_complete(ahc.aclose()))
            kwargs["http_client"] = ahc
        client: Any
        if self.is_async:
            assert self._loop is not None
            client = AsyncFacade(AsyncEASClient(*args, **kwargs), self._loop)
        else:
            client = EASClient(*args, **kwargs)
        if rand is not None:
            (client.client if self.is_async else client)._rand = rand
        if clock is not None:
            (client.client if self.is_async else client)._clock = clock
        self._cleanups.insert(0, client.close)
        return client

    def close(self) -> None:
        for fn in self._cleanups:
            fn()
        if self._loop is not None:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()


@pytest.fixture(params=ENGINES)
def make_client(request: pytest.FixtureRequest) -> Iterator[ClientFactory]:
    factory = ClientFactory(request.param)
    yield factory
    factory.close()
