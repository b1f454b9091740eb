"""AsyncEASClient: the asyncio twin of EASClient, driving the same core decisions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from ._adaptive_batch import Dispatch
from ._base_client import BaseClient, EASResponse
from ._batch import predict_many_async
from ._core.adaptive import AdaptiveConcurrency
from ._core.config import DEFAULT_CONCURRENCY
from ._core.endpoint import Params
from ._core.errors import TransportError
from ._core.flow import PreparedRequest, RawResponse, Sleep
from ._direct import DirectRouter
from ._transports.base import AsyncTransport


class AsyncEASClient(BaseClient):
    """Call an EAS service from asyncio; same arguments and behaviour as :class:`EASClient`.

    Example::

        async with AsyncEASClient("http://127.0.0.1:8080/api/predict/demo", token="t") as client:
            results = await client.predict_many([b"2 105", b"1 1"], concurrency=32)

    Pass ``http_client=httpx.AsyncClient(...)`` to use httpx instead of aiohttp.
    """

    _transport: AsyncTransport

    def _open(self, shared: Any) -> None:
        self._transport = shared if shared is not None else self._new_transport(is_async=True)
        self._discovery_lock: asyncio.Lock | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # a test hook

    async def predict(
        self,
        data: object,
        *,
        path: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> Any:
        """Async :meth:`EASClient.predict`."""
        req = self._prepare(data, path, params, headers, timeout, max_retries)
        raw, _ = await self._call(req)
        return self._result(req, raw)

    async def request(
        self,
        data: object,
        *,
        path: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> EASResponse:
        """Async :meth:`EASClient.request`."""
        req = self._prepare(data, path, params, headers, timeout, max_retries)
        return self._response(*(await self._call(req)))

    async def predict_many(
        self,
        inputs: Iterable[object],
        *,
        concurrency: int | str | AdaptiveConcurrency = DEFAULT_CONCURRENCY,
        return_exceptions: bool = True,
        progress: bool | Callable[[int, int | None], None] = False,
        **kwargs: Any,
    ) -> list[Any]:
        """Predict every input with at most ``concurrency`` calls in flight; results in input
        order, one value or exception per input; ``"auto"`` adapts it (see EASClient's)."""
        return await predict_many_async(self, inputs, concurrency, return_exceptions, progress, kwargs)

    async def _batch_item(self, item: object, hook: Dispatch, kwargs: dict[str, Any]) -> Any:
        req = self._prepare_kw(item, **kwargs)
        return self._result(req, (await self._call(req, hook))[0])

    async def _call(self, req: PreparedRequest, hook: Dispatch | None = None) -> tuple[RawResponse, int]:
        """Drive :meth:`BaseClient._flow`: send what it yields, sleep when it says so."""
        if self._router is not None:
            await self._discover(self._router)
        flow = self._flow(req, hook)
        command = next(flow)
        try:
            while True:
                if isinstance(command, Sleep):
                    await self._sleep(command.seconds)
                    command = flow.send(None)
                    continue
                try:
                    result: Any = await self._transport.send(command)
                except TransportError as exc:  # its frames hold the request headers: drop them (SEC-4)
                    result = exc.with_traceback(None)
                command = flow.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    async def _discover(self, router: DirectRouter) -> None:
        need = router.need(time.monotonic())
        if need == "none":
            return
        if need == "now":
            if self._discovery_lock is None:
                self._discovery_lock = asyncio.Lock()
            async with self._discovery_lock:  # one fetch for all tasks waiting on the first list
                if not router.has_list():
                    await self._fetch(router)
            return
        # A stale list is refreshed in the background: no caller waits for discovery.
        task = asyncio.get_running_loop().create_task(self._fetch(router))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _fetch(self, router: DirectRouter) -> None:
        try:
            result: Any = await self._transport.send(self._discovery_request(router))
        except TransportError as exc:
            result = exc
        router.apply(result, time.monotonic())

    async def close(self) -> None:
        """Close the aiohttp session (not a caller-supplied ``http_client``)."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._owns_transport:
            await self._transport.close()

    async def __aenter__(self) -> AsyncEASClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
