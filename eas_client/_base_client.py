"""What EASClient and AsyncEASClient share: configuration, request preparation, evaluation of each
attempt, logging, the tenacity policy and results. The twins only send, sleep and close."""

from __future__ import annotations

import logging
import os
import platform
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from tenacity import retry_if_result, stop_never

from ._core.config import (
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_DISCOVERY_REFRESH_S,
    DEFAULT_EJECT_S,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_POOL_SIZE,
    DEFAULT_TIMEOUT_S,
    ClientConfig,
    RetryPolicy,
    _check_int,
    build_config,
    check_timeout,
)
from ._core.endpoint import Params
from ._core.errors import TransportError
from ._core.flow import (
    PreparedRequest,
    RawResponse,
    Step,
    attempt_headers,
    base_headers,
    evaluate,
    next_timeout,
    prepare,
)
from ._core.redact import Secret, redact_token
from ._direct import DirectRouter, Route
from ._transports.select import select_transport
from ._version import __version__

logger = logging.getLogger("eas_client")

USER_AGENT = f"eas-client-python/{__version__} (python {platform.python_version()})"
_UNSET: Any = object()
_C = TypeVar("_C", bound="BaseClient")
# A discovery server answers from memory; a slow one must not hold a call for the full timeout.
DISCOVERY_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class EASResponse:
    """A full response: ``status``, ``headers`` (lower-case names), ``body`` and ``attempts``.

    Example::

        resp = client.request(b"2 105")
        assert resp.status == 200 and resp.body == b"True"
    """

    status: int
    headers: dict[str, str] = field(repr=False)
    body: bytes
    attempts: int = 1

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        import json

        return json.loads(self.body)


class BaseClient:
    """Configuration and per-attempt logic common to both twins."""

    _config: ClientConfig
    _init_args: dict[str, Any]

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        service_name: str | None = None,
        auth: str = "token",
        timeout: float = DEFAULT_TIMEOUT_S,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        max_retries: int = _UNSET,
        deadline: float | None = _UNSET,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        http_client: Any = None,
        engine: str | None = None,
        endpoint_type: str = "gateway",
        discovery_refresh: float = DEFAULT_DISCOVERY_REFRESH_S,
        eject_for: float = DEFAULT_EJECT_S,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        policy = retry if retry is not None else RetryPolicy()
        if not isinstance(policy, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy, not {type(policy).__name__}")
        changes: dict[str, Any] = {}
        if max_retries is not _UNSET:
            changes["max_retries"] = max_retries
        if deadline is not _UNSET:
            changes["deadline"] = deadline
        if changes:
            policy = replace(policy, **changes)
        _check_int("pool_size", pool_size, minimum=1)
        self._config = build_config(
            endpoint,
            token,
            service_name=service_name,
            auth=auth,
            timeout=timeout,
            connect_timeout=connect_timeout,
            retry=policy,
            headers=headers,
            user_agent=USER_AGENT,
            env=os.environ,
            endpoint_type=endpoint_type,
            discovery_refresh=discovery_refresh,
            eject_for=eject_for,
            max_response_bytes=max_response_bytes,
        )
        self._router = DirectRouter(self._config) if self._config.endpoint_type == "direct" else None
        self._pool_size = pool_size
        self._owns_transport = True
        self._headers = base_headers(self._config)
        # Test hooks (protocol.md TEST-1): the jitter source and the wall clock that dates a signed
        # attempt and measures an HTTP-date Retry-After. Tests replace them; callers never need to.
        self._rand: Callable[[], float] = random.random
        self._clock: Callable[[], float] = time.time

    def with_options(self: _C, **changes: Any) -> _C:
        """A client with some constructor arguments changed that shares this one's connection pool
        (closing either leaves the pool to the original).

        Example::

            quick = client.with_options(timeout=2.0, max_retries=0)
        """
        args = {**self._init_args, **changes}
        if isinstance(args.get("token"), Secret):
            args["token"] = args["token"].reveal()
        clone = type(self)(**args)
        if not {"http_client", "pool_size", "max_response_bytes"} & changes.keys():
            clone._transport = self._transport  # type: ignore[attr-defined]
            clone._owns_transport = False
        return clone

    def _new_transport(self, kwargs: dict[str, Any], *, is_async: bool) -> Any:
        return select_transport(
            kwargs.get("http_client"),
            self._pool_size,
            is_async=is_async,
            engine=kwargs.get("engine"),
            max_bytes=self._config.max_response_bytes,
        )

    def _remember(self, endpoint: str | None, token: str | None, kwargs: dict[str, Any]) -> None:
        """Keep the constructor arguments for :meth:`with_options`, the token in a holder (SEC-4)."""
        held = Secret(token) if isinstance(token, str) else token
        self._init_args = {"endpoint": endpoint, "token": held, **kwargs}

    @property
    def config(self) -> ClientConfig:
        """The validated, immutable configuration (token hidden from its repr)."""
        return self._config

    @property
    def endpoint(self) -> str:
        return self._config.endpoint.url

    def __repr__(self) -> str:
        cfg = self._config
        return (
            f"{type(self).__name__}(endpoint={cfg.endpoint.url!r}, "
            f"token={redact_token(cfg.token)!r}, auth={cfg.auth!r})"
        )

    def _prepare(
        self,
        data: object,
        path: str | None,
        params: Params | None,
        headers: Mapping[str, str] | None,
        timeout: float | None,
        max_retries: int | None,
    ) -> PreparedRequest:
        if timeout is not None:
            timeout = check_timeout("timeout", timeout)
        policy = None
        if max_retries is not None:
            policy = replace(self._config.retry, max_retries=max_retries)
        return prepare(
            self._config,
            self._headers,
            data,
            path=path,
            params=params,
            headers=headers,
            timeout=timeout,
            policy=policy,
        )

    def _evaluate(
        self,
        req: PreparedRequest,
        attempts: int,
        result: RawResponse | TransportError,
        elapsed: float,
        now: float,
    ) -> Step:
        step = evaluate(self._config, req, attempts, result, elapsed=elapsed, rand=self._rand(), now=now)
        if logger.isEnabledFor(logging.DEBUG):
            status = result.status if isinstance(result, RawResponse) else result.cause_kind
            logger.debug(
                "eas attempt %d POST %s -> %s; %s",
                attempts,
                req.url,
                status,
                step.decision.reason,
            )
        return step

    def _begin_attempt(
        self, req: PreparedRequest, start: float, route: Route | None
    ) -> tuple[tuple[Any, ...], float, float]:
        """The transport ``send`` arguments of the next attempt, its monotonic and wall clocks."""
        mono = time.monotonic()
        now = self._clock()
        origin = req.origin if route is None else self._route_to(route, mono)
        args = (
            req.method,
            origin,
            req.target,
            attempt_headers(self._config, req, now),
            req.body,
            next_timeout(req, mono - start),
            req.connect_timeout,
        )
        return args, mono, now

    def _end_attempt(
        self,
        req: PreparedRequest,
        n: int,
        start: float,
        route: Route | None,
        result: RawResponse | TransportError,
        mono: float,
        now: float,
    ) -> Step:
        if route is not None:
            self._report(route, result, mono)
        return self._evaluate(req, n, result, time.monotonic() - start, now)

    def _route_to(self, route: Route, now: float) -> str:
        """Direct mode: the origin of the next instance; a retry avoids the one that just failed."""
        assert self._router is not None
        route.instance = self._router.pick(now, exclude=route.instance)
        return route.instance.origin

    def _report(self, route: Route, result: RawResponse | TransportError, now: float) -> None:
        assert self._router is not None and route.instance is not None
        self._router.report(route.instance, result, now)

    def _discovery_send_args(self, router: DirectRouter) -> tuple[Any, ...]:
        timeout = min(self._config.timeout, DISCOVERY_TIMEOUT_S)
        return router.fetch_args({"User-Agent": USER_AGENT}, timeout, self._config.connect_timeout)

    @staticmethod
    def _retrying_kwargs() -> dict[str, Any]:
        """tenacity settings shared by Retrying and AsyncRetrying: the core's Step decides."""
        return {
            "retry": retry_if_result(_wants_retry),
            "wait": _wait_from_step,
            "stop": stop_never,
            "reraise": True,
        }

    @staticmethod
    def _finish(step: Step) -> RawResponse:
        if step.error is not None:
            raise step.error
        assert step.response is not None
        return step.response

    @staticmethod
    def _response(raw: RawResponse, attempts: int) -> EASResponse:
        return EASResponse(raw.status, _plain_headers(raw.headers), raw.body, attempts)

    @staticmethod
    def _result(req: PreparedRequest, raw: RawResponse) -> Any:
        return req.parse(raw.body) if req.parse is not None else raw.body


def _wants_retry(step: Step) -> bool:
    return step.decision.action == "retry"


def _wait_from_step(retry_state: Any) -> float:
    step: Step = retry_state.outcome.result()
    return step.decision.delay


def _plain_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}
