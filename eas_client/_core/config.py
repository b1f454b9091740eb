"""Client configuration: every default as a named constant, validated once into a frozen object.

The numbers here are pinned for all languages by ``spec/vectors/defaults.json``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .endpoint import Endpoint, parse_endpoint
from .errors import ConfigError
from .redact import Secret, redact_token

# EAS's own per-request budget is 5 s (rpc.keepalive) and users raise it for big models; 30 s
# leaves room for those while still failing a hung connection in bounded time.
DEFAULT_TIMEOUT_S = 30.0
# A connect that takes longer than this on a LAN or the EAS gateway means the host is gone.
DEFAULT_CONNECT_TIMEOUT_S = 5.0
# Three retries ride out a rolling update (503) or a short 450 burst without hiding an outage.
DEFAULT_MAX_RETRIES = 3
# First retry waits up to 100 ms: long enough for an EAS queue slot to free, short for users.
DEFAULT_BACKOFF_BASE_S = 0.1
# Exponential growth stops here, so the fourth and later retries wait at most 5 s each.
DEFAULT_BACKOFF_MAX_S = 5.0
# A server asking for a longer pause than this is treated as asking for exactly this long.
DEFAULT_RETRY_AFTER_CAP_S = 30.0
# No overall deadline unless asked: max_retries and timeout already bound a call.
DEFAULT_DEADLINE_S: float | None = None
# The statuses EAS uses for transient trouble: 408 server timeout, 429 rate limit, 450 queue
# full, 502/503/504 gateway or instance not ready. 500 is a processor crash and usually repeats.
DEFAULT_RETRY_STATUSES = frozenset({408, 429, 450, 502, 503, 504})
# A connect error never reached the processor; a reset usually means a stale keep-alive
# connection. A client-side timeout may still be running on the server, so it is opt-in.
DEFAULT_RETRY_ERRORS = frozenset({"connect", "reset"})
# The sync engine's pool size and predict_many's default fan-out: EAS instances default to
# 5 worker threads and a queue of 64, so 16 in flight keeps a few instances busy without 450s.
DEFAULT_POOL_SIZE = 16
DEFAULT_CONCURRENCY = 16

# Direct mode: the official SDKs re-read the instance list every 3 s; so do we, lazily.
DEFAULT_DISCOVERY_REFRESH_S = 3.0
# An instance that refused or reset a connection is skipped this long before it is tried again.
DEFAULT_EJECT_S = 5.0

# HDR-5: headers that frame the message on the wire. A caller's Content-Length that disagrees
# with the body lets a second request ride in the same connection (request smuggling).
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "host", "connection"})
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VALUE_RE = re.compile(r"[\x20-\x7e\t]*")

# LIMIT-1: 256 MiB holds a float32 answer of 64 million values, far above real tensor answers,
# while a runaway or hostile server can no longer take a worker's memory with one response.
DEFAULT_MAX_RESPONSE_BYTES: int | None = 256 * 1024 * 1024

AuthMode = Literal["token", "signature"]
EndpointType = Literal["gateway", "direct"]
RetryError = Literal["connect", "reset", "timeout"]
ENV_ENDPOINT = "EAS_ENDPOINT"
ENV_TOKEN = "EAS_TOKEN"
ENV_SERVICE_NAME = "EAS_SERVICE_NAME"


@dataclass(frozen=True)
class RetryPolicy:
    """What is retried, how often and how long to wait. Immutable; see spec/protocol.md RETRY-*.

    Example::

        policy = RetryPolicy(max_retries=5, retry_statuses=DEFAULT_RETRY_STATUSES | {500})
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_base: float = DEFAULT_BACKOFF_BASE_S
    backoff_max: float = DEFAULT_BACKOFF_MAX_S
    retry_after_cap: float = DEFAULT_RETRY_AFTER_CAP_S
    deadline: float | None = DEFAULT_DEADLINE_S
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    retry_errors: frozenset[str] = DEFAULT_RETRY_ERRORS

    def __post_init__(self) -> None:
        _check_int("max_retries", self.max_retries, minimum=0)
        for name in ("backoff_base", "backoff_max", "retry_after_cap"):
            _check_seconds(name, getattr(self, name), allow_zero=True)
        if self.deadline is not None:
            _check_seconds("deadline", self.deadline, allow_zero=False)
        unknown = set(self.retry_errors) - {"connect", "reset", "timeout"}
        if unknown:
            raise ConfigError(
                f"retry_errors has unknown kinds {sorted(unknown)}; use connect, reset, timeout"
            )
        object.__setattr__(self, "retry_statuses", frozenset(self.retry_statuses))
        object.__setattr__(self, "retry_errors", frozenset(self.retry_errors))


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs to build and send a call, validated once.

    The token is kept out of ``repr``; build one with :func:`build_config`.
    """

    endpoint: Endpoint
    credential: Secret | None = field(repr=False)
    auth: AuthMode = "token"
    timeout: float = DEFAULT_TIMEOUT_S
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    headers: tuple[tuple[str, str], ...] = ()
    user_agent: str = ""
    endpoint_type: EndpointType = "gateway"
    discovery_refresh: float = DEFAULT_DISCOVERY_REFRESH_S
    eject_for: float = DEFAULT_EJECT_S
    max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES

    @property
    def token(self) -> str | None:
        """The token in clear, for building headers; held in a :class:`Secret` (SEC-4)."""
        return None if self.credential is None else self.credential.reveal()

    def __repr__(self) -> str:
        return (
            f"ClientConfig(endpoint={self.endpoint.url!r}, token={redact_token(self.token)!r}, "
            f"auth={self.auth!r}, timeout={self.timeout}, retry={self.retry!r})"
        )


def build_config(
    endpoint: str | None,
    token: str | None,
    *,
    service_name: str | None,
    auth: str,
    timeout: float,
    connect_timeout: float,
    retry: RetryPolicy,
    headers: Mapping[str, str] | None,
    user_agent: str,
    env: Mapping[str, str],
    endpoint_type: str = "gateway",
    discovery_refresh: float = DEFAULT_DISCOVERY_REFRESH_S,
    eject_for: float = DEFAULT_EJECT_S,
    max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
    caller_user_agent: str | None = None,
) -> ClientConfig:
    """Resolve arguments and environment (``EAS_ENDPOINT``, ``EAS_TOKEN``, ``EAS_SERVICE_NAME``).

    ``user_agent`` is the client's own; ``caller_user_agent`` is appended to it (HDR-1)."""
    endpoint = endpoint if endpoint is not None else env.get(ENV_ENDPOINT) or None
    service_name = service_name if service_name is not None else env.get(ENV_SERVICE_NAME) or None
    if token is None:
        token = env.get(ENV_TOKEN) or None
    elif token == "":
        raise ConfigError(
            "token is an empty string; pass the service token, or token=None for a service "
            "without authentication"
        )
    if token is not None:
        check_token(token)
    if auth not in ("token", "signature"):
        raise ConfigError(f"auth must be 'token' or 'signature', not {auth!r}")
    if auth == "signature" and token is None:
        raise ConfigError("auth='signature' needs a token: pass token=... or set EAS_TOKEN")
    _check_seconds("timeout", timeout, allow_zero=False)
    _check_seconds("connect_timeout", connect_timeout, allow_zero=False)
    _check_seconds("discovery_refresh", discovery_refresh, allow_zero=True)
    _check_seconds("eject_for", eject_for, allow_zero=True)
    if max_response_bytes is not None:
        _check_int("max_response_bytes", max_response_bytes, minimum=1)
    if endpoint_type not in ("gateway", "direct"):
        raise ConfigError(f"endpoint_type must be 'gateway' or 'direct', not {endpoint_type!r}")
    parsed = parse_endpoint(endpoint, service_name)
    if endpoint_type == "direct" and parsed.service is None:
        raise ConfigError(
            "endpoint_type='direct' needs a service: pass service_name=... with the discovery endpoint"
        )
    return ClientConfig(
        endpoint=parsed,
        credential=None if token is None else Secret(token),
        auth=auth,  # type: ignore[arg-type]
        timeout=float(timeout),
        connect_timeout=float(connect_timeout),
        retry=retry,
        headers=normalize_headers(headers, "headers"),
        user_agent=compose_user_agent(user_agent, caller_user_agent),
        endpoint_type=endpoint_type,  # type: ignore[arg-type]
        discovery_refresh=float(discovery_refresh),
        eject_for=float(eject_for),
        max_response_bytes=max_response_bytes,
    )


def compose_user_agent(own: str, caller: object) -> str:
    """HDR-1: the caller's application name goes after ours, so a server always sees which client
    sent a request; it must be a non-empty header value (HDR-4).

    >>> compose_user_agent("eas-client-python/1.0", "my-app/1.2")
    'eas-client-python/1.0 my-app/1.2'
    """
    if caller is None:
        return own
    if not isinstance(caller, str):
        raise ConfigError(f"user_agent must be a str, not {type(caller).__name__}")
    if not caller:
        raise ConfigError("user_agent is empty; name your application (my-app/1.2) or leave it out")
    if not _VALUE_RE.fullmatch(caller):
        raise ConfigError(
            "user_agent has a control or non-ASCII character; use visible ASCII and spaces only"
        )
    return f"{own} {caller}"


def check_token(token: object) -> None:
    """Reject tokens that cannot travel in a header, without ever echoing the token."""
    if not isinstance(token, str):
        raise ConfigError(f"token must be a str, not {type(token).__name__}")
    if token != token.strip() or any(ord(c) < 0x20 or ord(c) == 0x7F for c in token):
        raise ConfigError(
            "token contains whitespace or control characters; copy it again from the EAS console"
        )
    if not token.isascii():
        raise ConfigError("token contains non-ASCII characters; copy it again from the EAS console")


def normalize_headers(headers: object, what: str) -> tuple[tuple[str, str], ...]:
    """Copy a caller's header mapping into an immutable tuple (never keeping their dict)."""
    if headers is None:
        return ()
    if not isinstance(headers, Mapping):
        raise ConfigError(f"{what} must be a mapping of str to str, not {type(headers).__name__}")
    out = []
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ConfigError(f"{what} must map str to str; got {type(name).__name__} key {name!r}")
        check_header(name, value, what)
        out.append((name, value))
    return tuple(out)


def check_header(name: str, value: str, what: str) -> None:
    """HDR-4/HDR-5: an RFC 9110 token name, a value of visible ASCII, space and tab, and never a
    framing header. The value is never echoed: callers put credentials in headers."""
    if not _TOKEN_RE.fullmatch(name):
        raise ConfigError(
            f"{what} has an invalid header name {name.encode('ascii', 'backslashreplace')!r}: "
            "use letters, digits and !#$%&'*+-.^_`|~ only"
        )
    if name.lower() in FRAMING_HEADERS:
        raise ConfigError(
            f"{what} sets {name!r}, which the HTTP engine writes from the body and URL; remove it"
        )
    if not _VALUE_RE.fullmatch(value):
        raise ConfigError(
            f"{what} has an invalid header value for {name!r}: a control or non-ASCII character; "
            "send only visible ASCII, space and tab (percent- or base64-encode other data)"
        )


def check_timeout(name: str, value: object) -> float:
    """Validate a per-call timeout (positive, finite seconds)."""
    _check_seconds(name, value, allow_zero=False)
    return float(value)  # type: ignore[arg-type]


def _check_seconds(name: str, value: object, *, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if math.isnan(value) or math.isinf(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{name} must be a finite number of seconds {bound}, got {value!r}")


def _check_int(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
