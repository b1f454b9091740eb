"""What QueueClient and AsyncQueueClient share: the inner predict client (its configuration,
transport and call loop), the identity headers, and building each operation's request from the
sans-IO core (``eas_client._core.queue``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from .._core.config import (
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_POOL_SIZE,
    DEFAULT_TIMEOUT_S,
    ClientConfig,
    RetryPolicy,
    _check_int,
    check_timeout,
)
from .._core.endpoint import build_path, build_query
from .._core.errors import PayloadError
from .._core.flow import PreparedRequest, RawResponse
from .._core.payload import encode_payload
from .._core.queue import (
    DEFAULT_GID,
    HEADER_GID,
    HEADER_UID,
    QueueCall,
    check_caller_headers,
    identity,
    parse_answer,
    put_policy,
    watch_params,
    ws_url,
)
from .._core.redact import MaskedHeaders
from .._core.watch import DEFAULT_MAX_RECONNECTS, DEFAULT_PING_INTERVAL_S, DEFAULT_PING_TIMEOUT_S


class QueueBase:
    """Configuration common to both queue twins.

    Parameters
    ----------
    endpoint:
        A queue URL (``http://host/api/predict/<queue>``), or a host with ``queue``. Falls back
        to ``EAS_ENDPOINT``.
    token:
        The service token (sent raw, as every queue client does). Falls back to ``EAS_TOKEN``.
    queue:
        The queue: a service name for its input queue, ``<service>/sink`` for its results.
    uid, gid:
        This consumer's name and group (``X-EAS-QueueService-Redis-Uid/Gid``); ``uid`` defaults
        to a random UUID kept for the client's life, ``gid`` to ``"eas"``.
    ping_interval, ping_timeout, max_reconnects:
        The watch's keep-alive and reconnect bounds (QUEUE-11, QUEUE-13).

    The other options are :class:`eas_client.EASClient`'s.
    """

    _inner: Any

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        queue: str | None = None,
        uid: str | None = None,
        gid: str = DEFAULT_GID,
        timeout: float = DEFAULT_TIMEOUT_S,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        max_retries: int | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        http_client: object | None = None,
        engine: str | None = None,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        ping_interval: float = DEFAULT_PING_INTERVAL_S,
        ping_timeout: float = DEFAULT_PING_TIMEOUT_S,
        max_reconnects: int = DEFAULT_MAX_RECONNECTS,
    ) -> None:
        self._uid, self._gid = identity(str(uuid.uuid4()) if uid is None else uid, gid)
        if isinstance(headers, Mapping):  # anything else is refused by the inner client
            check_caller_headers([str(name) for name in headers])
        self.ping_interval = check_timeout("ping_interval", ping_interval)
        self.ping_timeout = check_timeout("ping_timeout", ping_timeout)
        _check_int("max_reconnects", max_reconnects, minimum=0)
        self.max_reconnects = max_reconnects
        self._inner = self._make_inner(
            endpoint,
            token,
            service_name=queue,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            deadline=deadline,
            retry=retry,
            headers=headers,
            pool_size=pool_size,
            http_client=http_client,
            engine=engine,
            max_response_bytes=max_response_bytes,
        )
        self._set_headers()

    def _make_inner(self, *args: Any, **kwargs: Any) -> Any:  # the twin's predict client
        raise NotImplementedError

    def _set_headers(self) -> None:
        headers = MaskedHeaders(self._inner._headers)
        headers[HEADER_UID] = self._uid
        headers[HEADER_GID] = self._gid
        self._headers = headers

    @property
    def config(self) -> ClientConfig:
        """The validated configuration (token hidden), shared with the inner predict client."""
        config: ClientConfig = self._inner.config
        return config

    @property
    def queue_url(self) -> str:
        """The queue's URL, e.g. ``http://127.0.0.1:8080/api/predict/demo/sink``."""
        return self.config.endpoint.url

    @property
    def uid(self) -> str:
        return self._uid

    @property
    def gid(self) -> str:
        return self._gid

    def __repr__(self) -> str:
        return f"{type(self).__name__}(queue_url={self.queue_url!r}, uid={self._uid!r}, gid={self._gid!r})"

    def _sink_options(self) -> dict[str, Any]:
        """Options for the client of ``<queue>/sink``: the same identity and transport."""
        return {"endpoint": self.queue_url + "/sink", "service_name": None}

    def _prepare_call(self, call: QueueCall, data: object = None) -> PreparedRequest:
        """QUEUE-2/QUEUE-3: the request of one operation, for the inner client's call loop."""
        cfg = self.config
        headers = MaskedHeaders(self._headers)
        body, content_type = call.body, call.content_type
        if call.op == "put":
            encoded = encode_payload(data)
            body, content_type = encoded.body, encoded.content_type
            if any(k.lower() == "content-type" for k in headers):
                content_type = None  # HDR-2: a caller's Content-Type wins
        if content_type is not None:
            for name in [k for k in headers if k.lower() == "content-type"]:
                del headers[name]
            headers["Content-Type"] = content_type
        if call.accept is not None:
            headers["Accept"] = call.accept
        path = build_path(cfg.endpoint, None)
        query = build_query(cfg.endpoint, call.params)
        return PreparedRequest(
            method=call.method,
            origin=cfg.endpoint.origin,
            target=f"{path}?{query}" if query else path,
            sign_path=path,
            headers=headers,
            body=body,
            timeout=cfg.timeout + call.wait,
            connect_timeout=cfg.connect_timeout,
            policy=put_policy(cfg.retry) if call.op == "put" else cfg.retry,
        )

    def _answer(self, call: QueueCall, raw: RawResponse, attempts: int) -> Any:
        """QUEUE-8/9: the operation's result; a malformed 2xx answer says where it came from."""
        try:
            return parse_answer(call, raw.headers, raw.body)
        except PayloadError as exc:
            exc.endpoint, exc.attempts = self.queue_url, attempts
            raise exc.with_traceback(None) from None

    def _watch_target(self, index: int, **kwargs: Any) -> tuple[str, dict[str, str]]:
        """QUEUE-11: the WebSocket URL asking from ``index`` and the handshake headers."""
        cfg = self.config
        query = build_query(cfg.endpoint, watch_params(index, **kwargs))
        url = ws_url(cfg.endpoint.origin + build_path(cfg.endpoint, None) + "?" + query)
        headers = MaskedHeaders(self._headers)
        headers["Accept"] = "application/vnd.google.protobuf"
        return url, headers
