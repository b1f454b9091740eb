"""What EASClient and AsyncEASClient share: configuration, request preparation, the call loop
(``BaseClient._flow``), logging and results. The twins only send, sleep and close."""

from __future__ import annotations

import logging
import os
import platform
import random
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from ._backpressure import BatchHook, PutBack, SharedBudget
from ._core.adaptive import BUSY_STATUSES
from ._core.budget import RetryBudget
from ._core.config import (
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_DISCOVERY_REFRESH_S,
    DEFAULT_EJECT_S,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_POOL_SIZE,
    DEFAULT_TIMEOUT_S,
    AuthMode,
    ClientConfig,
    EndpointType,
    RetryPolicy,
    _check_int,
    build_config,
    check_timeout,
)
from ._core.endpoint import Params
from ._core.errors import ConfigError, TransportError
from ._core.flow import (
    PreparedRequest,
    RawResponse,
    Sleep,
    Step,
    WireRequest,
    attempt_headers,
    base_headers,
    evaluate,
    final_error,
    next_timeout,
    prepare,
)
from ._core.redact import Secret, redact_token
from ._core.retry import Decision
from ._direct import DirectRouter, Route
from ._transports.select import select_transport
from ._version import __version__

if TYPE_CHECKING:  # PEP 692 needs typing_extensions before 3.11; only the type checker reads it
    from typing_extensions import Unpack

logger = logging.getLogger("eas_client")

USER_AGENT = f"eas-client-python/{__version__} (python {platform.python_version()})"
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
    """Configuration and per-attempt logic common to both twins.

    Parameters
    ----------
    endpoint:
        The service URL (``http://host/api/predict/<service>``), or a bare host with
        ``service_name``. Falls back to ``EAS_ENDPOINT``.
    token:
        The service token; ``None`` for a service without authentication. Falls back to
        ``EAS_TOKEN``. Never shown in reprs, logs or error text.
    service_name:
        The service, when ``endpoint`` is only a host. Falls back to ``EAS_SERVICE_NAME``.
    auth:
        ``"token"`` sends the token as the ``Authorization`` header; ``"signature"`` signs each
        attempt with it (HMAC-SHA1, as the official SDKs do).
    timeout:
        Seconds for one attempt (connect, send and read), > 0.
    connect_timeout:
        Seconds to open a connection, > 0.
    max_retries:
        Retries after the first attempt; ``None`` keeps the ``retry`` policy's (3 by default).
    deadline:
        Seconds for the whole call across retries; ``None`` keeps the ``retry`` policy's (none).
    retry:
        A :class:`RetryPolicy` saying what is retried and how long to wait.
    headers:
        Extra headers for every call (validated; never framing headers).
    pool_size:
        Connections kept per host by the built-in engines, >= 1.
    http_client:
        An ``httpx.Client`` (sync) or ``httpx.AsyncClient`` (async) to send through, or a
        transport of your own with ``send()`` and ``close()``; the client does not close it.
    engine:
        The built-in engine: ``"http.client"`` (sync default), ``"urllib3"`` (sync, needs the
        ``[urllib3]`` extra) or ``"aiohttp"`` (async default).
    endpoint_type:
        ``"gateway"`` calls through the EAS gateway; ``"direct"`` spreads calls over the
        service's instances found through ``endpoint`` (VPC direct connection).
    discovery_refresh:
        Direct mode: seconds before the instance list is read again.
    eject_for:
        Direct mode: seconds an instance that refused a connection is skipped.
    max_response_bytes:
        The largest response body accepted (``None``: no cap; default 256 MiB).
    retry_budget:
        Retries this client may make across all its calls: a share of its calls plus a floor per
        second (:class:`RetryBudget`, default 10% + 10/s), so an outage does not turn into a retry
        storm. ``None`` turns it off (``max_retries`` alone bounds each call).

    Example::

        client = EASClient("http://127.0.0.1:8080/api/predict/demo", token="t", timeout=5.0)
    """

    _config: ClientConfig
    _options: ClientOptions

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        service_name: str | None = None,
        auth: AuthMode = "token",
        timeout: float = DEFAULT_TIMEOUT_S,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        max_retries: int | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        http_client: object | None = None,
        engine: str | None = None,
        endpoint_type: EndpointType = "gateway",
        discovery_refresh: float = DEFAULT_DISCOVERY_REFRESH_S,
        eject_for: float = DEFAULT_EJECT_S,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        retry_budget: RetryBudget | None = RetryBudget(),  # noqa: B008 - frozen, safe to share
    ) -> None:
        policy = _policy(retry, max_retries=max_retries, deadline=deadline)
        options = ClientOptions(
            endpoint=endpoint,
            token=_hold(token),
            service_name=service_name,
            auth=auth,
            timeout=timeout,
            connect_timeout=connect_timeout,
            retry=policy,
            headers=None if headers is None else _copy_headers(headers),
            pool_size=pool_size,
            http_client=http_client,
            engine=engine,
            endpoint_type=endpoint_type,
            discovery_refresh=discovery_refresh,
            eject_for=eject_for,
            max_response_bytes=max_response_bytes,
            retry_budget=retry_budget,
        )
        self._setup(options, shared=None)

    def _setup(self, options: ClientOptions, shared: Any) -> None:
        """Validate ``options`` into the config and open (or share) the transport."""
        _check_int("pool_size", options.pool_size, minimum=1)
        self._options = options
        self._config = build_config(
            options.endpoint,
            options.token.reveal() if isinstance(options.token, Secret) else options.token,
            service_name=options.service_name,
            auth=options.auth,
            timeout=options.timeout,
            connect_timeout=options.connect_timeout,
            retry=options.retry,
            headers=options.headers,
            user_agent=USER_AGENT,
            env=os.environ,
            endpoint_type=options.endpoint_type,
            discovery_refresh=options.discovery_refresh,
            eject_for=options.eject_for,
            max_response_bytes=options.max_response_bytes,
        )
        self._router = DirectRouter(self._config) if self._config.endpoint_type == "direct" else None
        self._headers = base_headers(self._config)
        # Test hooks (protocol.md TEST-1): the jitter source and the wall clock that dates a signed
        # attempt and measures an HTTP-date Retry-After. Tests replace them; callers never need to.
        self._rand: Callable[[], float] = random.random
        self._clock: Callable[[], float] = time.time
        self._monotonic: Callable[[], float] = time.monotonic
        self._budget = _budget(options.retry_budget, self._monotonic())
        self._owns_transport = shared is None
        self._open(shared)

    def _open(self, shared: Any) -> None:
        """The twin's transport hook: keep ``shared`` or open an engine from the options. A bare
        BaseClient (used for its configuration alone) opens none."""
        self._transport = shared

    def _new_transport(self, *, is_async: bool) -> Any:
        opts = self._options
        return select_transport(
            opts.http_client,
            opts.pool_size,
            is_async=is_async,
            engine=opts.engine,
            max_bytes=opts.max_response_bytes,
        )

    def with_options(self: _C, **options: Unpack[OptionChanges]) -> _C:
        """A copy with some constructor options changed (the keywords and types of the
        constructor: a misspelt or mistyped one is a type-checker error, and a TypeError at run
        time). It shares this client's connection pool when the transport options
        (``http_client``, ``engine``, ``pool_size``, ``max_response_bytes``) are unchanged, and
        opens its own otherwise; closing a copy leaves a shared pool to the original.
        ``max_retries``/``deadline`` change the retry policy.

        Example::

            quick = client.with_options(timeout=2.0, max_retries=0)
        """
        changes: dict[str, Any] = dict(options)
        unknown = sorted(changes.keys() - _OPTION_NAMES)
        if unknown:
            raise TypeError(
                f"with_options() got unknown option(s) {', '.join(unknown)}; "
                f"use {', '.join(sorted(_OPTION_NAMES))}"
            )
        current = self._options
        retry = changes.pop("retry", current.retry)
        policy = _policy(
            retry, max_retries=changes.pop("max_retries", None), deadline=changes.pop("deadline", None)
        )
        if "token" in changes:
            changes["token"] = _hold(changes["token"])
        if changes.get("headers") is not None:
            changes["headers"] = _copy_headers(changes["headers"])
        copied = replace(current, retry=policy, **changes)
        clone = type(self).__new__(type(self))
        same = copied.http_client is current.http_client and all(
            getattr(copied, name) == getattr(current, name) for name in TRANSPORT_OPTIONS
        )
        clone._setup(copied, self._transport if same else None)
        if copied.retry_budget == current.retry_budget:  # BUDGET-1: copies share the budget
            clone._budget = self._budget
        clone._rand, clone._clock, clone._monotonic = self._rand, self._clock, self._monotonic
        clone._sleep = self._sleep  # type: ignore[attr-defined]
        return clone

    @property
    def config(self) -> ClientConfig:
        """The validated, immutable configuration (token hidden from its repr)."""
        return self._config

    @property
    def retry_budget_denied(self) -> int:
        """How many retries the retry budget refused so far (BUDGET-2); 0 without a budget."""
        return 0 if self._budget is None else self._budget.denied

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

    def _prepare_kw(
        self,
        data: object,
        *,
        path: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> PreparedRequest:
        """:meth:`_prepare` with predict's keywords (a batch passes the caller's through)."""
        return self._prepare(data, path, params, headers, timeout, max_retries)

    def _flow(
        self, req: PreparedRequest, hook: BatchHook | None = None
    ) -> Generator[WireRequest | Sleep, Any, tuple[RawResponse, int]]:
        """The call loop, the same for both twins: it yields a :class:`WireRequest` to send (and is
        sent back the response or the TransportError) or a :class:`Sleep`; it returns the final
        response and the number of attempts, or raises the call's typed error. Every decision
        comes from the sans-IO core; the twins only drive it (``_call``). An adaptive batch's
        ``hook`` sees every attempt and takes back an item refused with 450/429 (ADAPT-5)."""
        route = None if self._router is None else Route()
        start = self._monotonic() if hook is None else hook.start
        if self._budget is not None and (hook is None or hook.deposit):
            self._budget.first_attempt(self._monotonic())
        attempts = 0
        while True:
            attempts += 1
            mono, now = self._monotonic(), self._clock()
            epoch = 0 if hook is None else hook.epoch()
            origin = req.origin if route is None else self._route_to(route, mono)
            headers = attempt_headers(self._config, req, now)
            timeout = next_timeout(req, mono - start)
            send = WireRequest(
                req.method, origin, req.target, headers, req.body, timeout, req.connect_timeout
            )
            result = yield send
            if route is not None:
                self._report(route, result, mono)
            if hook is not None:
                hook.observe(result, self._monotonic() - mono, epoch)
                if isinstance(result, RawResponse) and result.status in BUSY_STATUSES:
                    raise PutBack(final_error(self._config, result, attempts))
            step = self._evaluate(req, attempts, result, self._monotonic() - start, now)
            if step.decision.action != "retry":
                return self._finish(step), attempts
            yield Sleep(step.decision.delay)

    def _evaluate(
        self,
        req: PreparedRequest,
        attempts: int,
        result: RawResponse | TransportError,
        elapsed: float,
        now: float,
    ) -> Step:
        step = evaluate(self._config, req, attempts, result, elapsed=elapsed, rand=self._rand(), now=now)
        status = result.status if isinstance(result, RawResponse) else result.cause_kind
        budget = self._budget
        if step.decision.action == "retry" and budget is not None:
            if not budget.try_retry(self._monotonic()):  # BUDGET-2: asked only once a retry is due
                error = budget.mark(final_error(self._config, result, attempts))
                what = f"status {status}" if isinstance(result, RawResponse) else status
                step = Step(Decision("raise", 0.0, f"{what}: retry budget exhausted"), error=error)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "eas attempt %d POST %s -> %s; %s",
                attempts,
                req.url,
                status,
                step.decision.reason,
            )
        return step

    def _route_to(self, route: Route, now: float) -> str:
        """Direct mode: the origin of the next instance; a retry avoids the one that just failed."""
        assert self._router is not None
        route.instance = self._router.pick(now, exclude=route.instance)
        return route.instance.origin

    def _report(self, route: Route, result: RawResponse | TransportError, now: float) -> None:
        assert self._router is not None and route.instance is not None
        self._router.report(route.instance, result, now)

    def _discovery_request(self, router: DirectRouter) -> WireRequest:
        timeout = min(self._config.timeout, DISCOVERY_TIMEOUT_S)
        return router.fetch_request({"User-Agent": USER_AGENT}, timeout, self._config.connect_timeout)

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


@dataclass(frozen=True, eq=False)
class ClientOptions:
    """The constructor's arguments as given (the token held in a :class:`Secret`), kept so
    :meth:`BaseClient.with_options` can build a copy with ``dataclasses.replace``."""

    endpoint: str | None
    token: Secret | None = field(repr=False)
    service_name: str | None
    auth: AuthMode
    timeout: float
    connect_timeout: float
    retry: RetryPolicy
    headers: Mapping[str, str] | None
    pool_size: int
    http_client: object | None
    engine: str | None
    endpoint_type: EndpointType
    discovery_refresh: float
    eject_for: float
    max_response_bytes: int | None
    retry_budget: RetryBudget | None


class OptionChanges(TypedDict, total=False):
    """The keywords of :meth:`BaseClient.with_options`: the constructor's options, with its types
    (documented on :class:`BaseClient`). Keep in step with the constructor; a test compares them."""

    endpoint: str | None
    token: str | None
    service_name: str | None
    auth: AuthMode
    timeout: float
    connect_timeout: float
    max_retries: int | None
    deadline: float | None
    retry: RetryPolicy | None
    headers: Mapping[str, str] | None
    pool_size: int
    http_client: object | None
    engine: str | None
    endpoint_type: EndpointType
    discovery_refresh: float
    eject_for: float
    max_response_bytes: int | None
    retry_budget: RetryBudget | None


# The options that shape the engine itself; a copy differing in any of them opens its own.
TRANSPORT_OPTIONS = ("http_client", "engine", "pool_size", "max_response_bytes")
_OPTION_NAMES = frozenset({f.name for f in fields(ClientOptions)} | {"max_retries", "deadline"})


def _policy(retry: object, *, max_retries: int | None, deadline: float | None) -> RetryPolicy:
    policy = retry if retry is not None else RetryPolicy()
    if not isinstance(policy, RetryPolicy):
        raise TypeError(f"retry must be a RetryPolicy, not {type(policy).__name__}")
    changes: dict[str, Any] = {}
    if max_retries is not None:
        changes["max_retries"] = max_retries
    if deadline is not None:
        changes["deadline"] = deadline
    return replace(policy, **changes) if changes else policy


def _budget(budget: object, now: float) -> SharedBudget | None:
    if budget is None:
        return None
    if not isinstance(budget, RetryBudget):
        raise ConfigError(
            f"retry_budget must be a RetryBudget(ratio=..., min_per_s=...) or None, "
            f"not {type(budget).__name__}"
        )
    return SharedBudget(budget, now)


def _hold(token: object) -> Any:
    """SEC-4: a str token goes into a Secret at once; anything else is left for validation."""
    return Secret(token) if isinstance(token, str) else token


def _copy_headers(headers: object) -> Any:
    """A private copy of a caller's mapping, so later changes to theirs do not leak in."""
    return dict(headers) if isinstance(headers, Mapping) else headers


def _plain_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}
