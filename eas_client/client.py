"""EASClient: the synchronous twin. It drives BaseClient's call loop (sends, sleeps) and closes;
every decision comes from the sans-IO core."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._adaptive_batch import Dispatch
from ._base_client import BaseClient, EASResponse
from ._batch import predict_many_sync
from ._core.adaptive import AdaptiveConcurrency
from ._core.config import DEFAULT_CONCURRENCY
from ._core.endpoint import Params
from ._core.errors import TransportError
from ._core.flow import PreparedRequest, RawResponse, Sleep
from ._direct import DirectRouter
from ._transports.base import SyncTransport


class EASClient(BaseClient):
    """Call an EAS service synchronously.

    Example::

        from eas_client import EASClient

        with EASClient("http://127.0.0.1:8080/api/predict/demo", token="secret") as client:
            assert client.predict(b"2 105") == b"True"

    The options are those of :class:`BaseClient` (all keywords after ``token``); the engine is
    http.client unless ``engine="urllib3"`` or ``http_client=httpx.Client(...)`` is passed.
    """

    _transport: SyncTransport

    def _open(self, shared: Any) -> None:
        self._transport = shared if shared is not None else self._new_transport(is_async=False)
        self._discovery_lock = threading.Lock()
        self._sleep: Callable[[float], None] = time.sleep  # a test hook, like _rand and _clock

    def predict(
        self,
        data: object,
        *,
        path: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> Any:
        """Send ``data`` (bytes, str, dict/list as JSON, or a TFRequest/TorchRequest) and return
        the response body (bytes), or the decoded response for a typed request."""
        req = self._prepare(data, path, params, headers, timeout, max_retries)
        raw, _ = self._call(req)
        return self._result(req, raw)

    def request(
        self,
        data: object,
        *,
        path: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> EASResponse:
        """Like :meth:`predict` but returns the whole :class:`EASResponse` (status, headers, body)."""
        req = self._prepare(data, path, params, headers, timeout, max_retries)
        return self._response(*(self._call(req)))

    def predict_many(
        self,
        inputs: Iterable[object],
        *,
        concurrency: int | str | AdaptiveConcurrency = DEFAULT_CONCURRENCY,
        return_exceptions: bool = True,
        progress: bool | Callable[[int, int | None], None] = False,
        **kwargs: Any,
    ) -> list[Any]:
        """Predict every input with at most ``concurrency`` calls in flight (threads); the results
        are in input order, one value or exception per input. ``concurrency="auto"`` (or an
        :class:`AdaptiveConcurrency`) finds the in-flight count the service can take and puts
        back items it refuses with 450/429 instead of failing them."""
        return predict_many_sync(self, inputs, concurrency, return_exceptions, progress, kwargs)

    def _batch_item(self, item: object, hook: Dispatch, kwargs: dict[str, Any]) -> Any:
        req = self._prepare_kw(item, **kwargs)
        return self._result(req, self._call(req, hook)[0])

    def _call(self, req: PreparedRequest, hook: Dispatch | None = None) -> tuple[RawResponse, int]:
        """Drive :meth:`BaseClient._flow`: send what it yields, sleep when it says so."""
        if self._router is not None:
            self._discover(self._router)
        flow = self._flow(req, hook)
        command = next(flow)
        try:
            while True:
                if isinstance(command, Sleep):
                    self._sleep(command.seconds)
                    command = flow.send(None)
                    continue
                try:
                    result: Any = self._transport.send(command)
                except TransportError as exc:  # its frames hold the request headers: drop them (SEC-4)
                    result = exc.with_traceback(None)
                command = flow.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def _discover(self, router: DirectRouter) -> None:
        need = router.need(time.monotonic())
        if need == "none":
            return
        if need == "now":
            with self._discovery_lock:  # one fetch for all threads waiting on the first list
                if router.has_list():
                    return
                self._fetch(router)
            return
        # A stale list: this caller reads the new one in its own thread (the sync client runs
        # no background thread); the other threads keep calling on the old list meanwhile.
        self._fetch(router)

    def _fetch(self, router: DirectRouter) -> None:
        try:
            result: Any = self._transport.send(self._discovery_request(router))
        except TransportError as exc:
            result = exc
        router.apply(result, time.monotonic())

    def close(self) -> None:
        """Close the connection pool (not a caller-supplied ``http_client``)."""
        if self._owns_transport:
            self._transport.close()

    def __enter__(self) -> EASClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
