"""One call, from arguments to outcome, as pure steps the sync and async clients both drive.

``prepare()`` turns a predict call into a :class:`PreparedRequest`; ``attempt_headers()`` adds the
per-attempt signature; ``evaluate()`` turns one attempt's response or transport error into a
:class:`Step` (return it, raise an error, or retry after a delay).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .auth import signature_headers
from .config import ClientConfig, RetryPolicy, normalize_headers
from .endpoint import Params, build_path, build_query
from .errors import (
    ConfigError,
    DeadlineExceededError,
    EASError,
    StatusError,
    TransportError,
    error_for_status,
)
from .payload import encode_payload
from .redact import MaskedHeaders, redact_text
from .retry import Decision, Outcome, attempt_timeout, decide, header_value

# Headers the client owns: a caller passing one of these would break the signature or leak
# a second credential, so it is refused with a ConfigError.
_SIGNED_HEADERS = frozenset({"authorization", "date", "content-md5"})


@dataclass(frozen=True)
class RawResponse:
    """One HTTP response as an engine returns it. ``headers`` lookups must be case-insensitive."""

    status: int
    headers: Mapping[str, str] = field(repr=False)  # may echo anything the server was sent
    body: bytes = field(repr=False)  # so may the body (SEC-4: the call loop's frame holds it)


@dataclass(slots=True)
class PreparedRequest:
    """Everything needed to send the attempts of one call."""

    method: str
    origin: str
    target: str
    sign_path: str
    headers: dict[str, str] = field(repr=False)  # carries the token
    body: bytes = b""
    timeout: float = 0.0
    connect_timeout: float = 0.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    parse: Callable[[bytes], Any] | None = None

    @property
    def url(self) -> str:
        return self.origin + self.target


class WireRequest(NamedTuple):
    """One HTTP request as a transport's ``send`` takes it: the whole of what goes on the wire,
    with this attempt's budget. A tuple, so building one per attempt costs next to nothing."""

    method: str
    origin: str
    target: str
    headers: dict[str, str]
    body: bytes
    timeout: float
    connect_timeout: float

    @property
    def url(self) -> str:
        return self.origin + self.target

    def __repr__(self) -> str:  # the headers carry the token (SEC-4)
        return f"WireRequest({self.method} {self.url}, {len(self.body)} bytes, timeout={self.timeout})"


class Sleep(NamedTuple):
    """The call loop's other command: wait this long before the next attempt."""

    seconds: float


@dataclass(frozen=True)
class Step:
    """The outcome of evaluating one attempt."""

    decision: Decision
    response: RawResponse | None = None
    error: EASError | None = None


def base_headers(config: ClientConfig) -> dict[str, str]:
    """Headers every call of a client sends, computed once per client."""
    headers = MaskedHeaders({"User-Agent": config.user_agent} if config.user_agent else {})
    if config.token is not None and config.auth == "token":
        headers["Authorization"] = config.token
    _merge(headers, config.headers, config.token is not None)
    return headers


def prepare(
    config: ClientConfig,
    client_headers: dict[str, str],
    data: object,
    *,
    path: str | None = None,
    params: Params | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    policy: RetryPolicy | None = None,
) -> PreparedRequest:
    encoded = encode_payload(data)
    merged = MaskedHeaders(client_headers)
    merged.setdefault("Content-Type", encoded.content_type)
    if headers:
        _merge(merged, normalize_headers(headers, "headers"), config.token is not None)
    sign_path = build_path(config.endpoint, path)
    query = build_query(config.endpoint, params)
    return PreparedRequest(
        method="POST",
        origin=config.endpoint.origin,
        target=f"{sign_path}?{query}" if query else sign_path,
        sign_path=sign_path,
        headers=merged,
        body=encoded.body,
        timeout=config.timeout if timeout is None else timeout,
        connect_timeout=config.connect_timeout,
        policy=config.retry if policy is None else policy,
        parse=encoded.parse,
    )


def attempt_headers(config: ClientConfig, req: PreparedRequest, now: float) -> dict[str, str]:
    """The headers of one attempt: signed mode signs again with this attempt's Date."""
    if config.auth != "signature" or config.token is None:
        return req.headers
    headers = MaskedHeaders(req.headers)
    content_type = header_value(headers, "Content-Type") or ""
    headers.update(signature_headers(config.token, req.body, content_type, req.sign_path, now))
    return headers


def evaluate(
    config: ClientConfig,
    req: PreparedRequest,
    attempts: int,
    result: RawResponse | TransportError,
    *,
    elapsed: float,
    rand: float,
    now: float,
) -> Step:
    """Decide what follows an attempt; builds the typed error when the call must fail."""
    if isinstance(result, TransportError):
        outcome = Outcome(error_kind=result.cause_kind)
    else:
        if 200 <= result.status <= 299:  # the common case skips the decision table entirely
            return Step(_SUCCESS, response=result)
        outcome = Outcome(result.status, retry_after=header_value(result.headers, "Retry-After"))
    decision = decide(req.policy, attempts, outcome, elapsed=elapsed, rand=rand, now=now)
    if decision.action != "raise":
        return Step(decision)
    error = _error_for(config, result, attempts)
    if decision.deadline_hit:
        error = DeadlineExceededError(
            f"deadline of {req.policy.deadline}s ran out; last error: {error.message}",
            last_error=error,
            endpoint=config.endpoint.url,
            attempts=attempts,
        )
    return Step(decision, error=error)


def final_error(config: ClientConfig, result: RawResponse | TransportError, attempts: int) -> EASError:
    """The error an attempt's outcome raises when nothing follows it: a retry the budget refused
    (BUDGET-2) or a batch item the service kept refusing (ADAPT-5)."""
    return _error_for(config, result, attempts)


def next_timeout(req: PreparedRequest, elapsed: float) -> float:
    return attempt_timeout(req.policy, req.timeout, elapsed)


_SUCCESS = Decision("return", 0.0, "success")


def _error_for(config: ClientConfig, result: RawResponse | TransportError, attempts: int) -> EASError:
    if isinstance(result, TransportError):
        result.endpoint = config.endpoint.url
        result.attempts = attempts
        result.message = redact_text(result.message, config.token)
        result.args = (result.message,)
        return result
    error: StatusError = error_for_status(
        result.status,
        result.body,
        result.headers,
        endpoint=config.endpoint.url,
        service=config.endpoint.service,
        attempts=attempts,
        token=config.token,
    )
    return error


def _merge(into: dict[str, str], extra: tuple[tuple[str, str], ...], has_token: bool) -> None:
    """Add headers, replacing any existing header of the same name in any letter case."""
    for name, value in extra:
        lowered = name.lower()
        if has_token and lowered in _SIGNED_HEADERS:
            raise ConfigError(
                f"header {name!r} is set by the client from token=...; do not pass it in headers"
            )
        for existing in [k for k in into if k.lower() == lowered]:
            del into[existing]
        into[name] = value
