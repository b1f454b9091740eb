"""The one error tree (the same names in every language; spec/protocol.md ERR-*)::

    EASError
    ├── ConfigError (also ValueError)          bad argument or environment; raised before any I/O
    ├── PayloadError (also ValueError)         body cannot be encoded, or a response cannot be decoded
    ├── DiscoveryError                         direct mode: no usable instance list
    ├── TransportError                         no HTTP response
    │   ├── ConnectError                       could not connect (refused, DNS, connect timeout)
    │   ├── ReadError                          connection reset or closed before a full response
    │   ├── ReadTimeoutError                   no full response within ``timeout``
    │   └── ResponseTooLargeError              the body passed ``max_response_bytes``
    ├── DeadlineExceededError                  the overall deadline ran out between attempts
    └── StatusError                            the server answered with a non-2xx status
        ├── BadRequestError          400       processor rejected the input
        ├── AuthenticationError      401
        ├── PermissionDeniedError    403
        ├── NotFoundError            404
        ├── ServerTimeoutError       408       EAS rpc.keepalive expired
        ├── RateLimitError           429
        ├── QueueFullError           450       instance queue full (EAS back-pressure)
        └── ServerError              5xx
            ├── InternalServerError  500       processor crashed
            ├── BadGatewayError      502
            ├── ServiceUnavailableError 503    no healthy instance (e.g. during a rollout)
            └── GatewayTimeoutError  504

Every error carries ``endpoint`` (the service URL, never the token), ``attempts`` and, for
status errors, ``status``, ``body`` (an excerpt) and ``request_id``.
"""

from __future__ import annotations

from collections.abc import Mapping

from .redact import redact_bytes, redact_header_map, redact_text

BODY_EXCERPT_BYTES = 512
REQUEST_ID_HEADERS = ("x-request-id", "x-eas-request-id", "x-eas-queueservice-request-id")


class EASError(Exception):
    """Base of every error this package raises on purpose."""

    endpoint: str | None = None
    attempts: int = 0
    # BUDGET-2: true when the client's retry budget, not max_retries, made this failure final.
    budget_exhausted: bool = False

    def __init__(self, message: str, *, endpoint: str | None = None, attempts: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.attempts = attempts

    @property
    def kind(self) -> str:
        """The spec's name for this error (its class name), as used in the vectors."""
        return type(self).__name__

    def __str__(self) -> str:
        where = f" [endpoint={self.endpoint}]" if self.endpoint else ""
        tries = (
            f" after {self.attempts} attempt{'s' if self.attempts != 1 else ''}"
            if (self.attempts > 1)
            else ""
        )
        return f"{self.message}{where}{tries}"


class ConfigError(EASError, ValueError):
    """An argument or environment variable is wrong; the message names it and the fix."""


class PayloadError(EASError, ValueError):
    """A request body cannot be encoded, or a response body cannot be decoded."""


class DiscoveryError(EASError):
    """Direct mode could not get a usable instance list from the discovery API."""


class TransportError(EASError):
    """The call got no HTTP response. ``cause_kind`` is connect, reset or timeout."""

    cause_kind = "transport"


class ConnectError(TransportError):
    cause_kind = "connect"


class ReadError(TransportError):
    cause_kind = "reset"


class ReadTimeoutError(TransportError):
    cause_kind = "timeout"


class ResponseTooLargeError(TransportError):
    """The response body passed ``max_response_bytes`` (LIMIT-1); never retried.

    ``limit`` is the cap that was hit. Raise it with ``max_response_bytes=...`` (or ``None``).
    """

    cause_kind = "too_large"

    def __init__(self, message: str, *, limit: int = 0, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.limit = limit


def too_large(url: str, limit: int, declared: int | None = None) -> ResponseTooLargeError:
    """The error every engine raises at the cap, worded once."""
    size = f"declares {declared} bytes" if declared is not None else "is longer"
    return ResponseTooLargeError(
        f"the response from {url} {size}, over max_response_bytes={limit}; pass a larger "
        "max_response_bytes (or None) if answers this big are expected",
        limit=limit,
    )


class DeadlineExceededError(EASError):
    """The overall ``deadline`` left no room for another attempt; ``last_error`` says why it failed."""

    def __init__(self, message: str, *, last_error: EASError | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.last_error = last_error


class StatusError(EASError):
    """The server answered with a non-2xx status."""

    hint = "see the body for the server's reason"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: bytes = b"",
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        endpoint: str | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(message, endpoint=endpoint, attempts=attempts)
        self.status = status
        self.body = body[:BODY_EXCERPT_BYTES]
        self.request_id = request_id
        self.headers = dict(headers or {})


class BadRequestError(StatusError):
    hint = "the processor rejected the input; check the payload format it expects"


class AuthenticationError(StatusError):
    hint = "check the token of service {service} (EAS console: service details, 'Invocation')"


class PermissionDeniedError(StatusError):
    hint = "the token is not allowed to call service {service}; check the token and the endpoint"


class NotFoundError(StatusError):
    hint = "no service {service} at this endpoint; check the endpoint URL and the service name"


class ServerTimeoutError(StatusError):
    hint = "the service took longer than its rpc.keepalive; raise it or send smaller inputs"


class RateLimitError(StatusError):
    hint = "the service's rate limit was hit; lower the concurrency or raise rpc.rate_limit"


class QueueFullError(StatusError):
    hint = "every instance queue is full; lower the concurrency or add instances"


class ServerError(StatusError):
    hint = "the service failed; check its logs in the EAS console"


class InternalServerError(ServerError):
    hint = "the processor crashed on this input; check the service logs"


class BadGatewayError(ServerError):
    hint = "the gateway could not reach an instance; retry later"


class ServiceUnavailableError(ServerError):
    hint = "no healthy instance right now (starting, updating or crashed); retry later"


class GatewayTimeoutError(ServerError):
    hint = "the gateway timed out waiting for an instance; retry later"


# spec/vectors/error_mapping.json pins this table for every language.
STATUS_ERRORS: dict[int, type[StatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: ServerTimeoutError,
    429: RateLimitError,
    450: QueueFullError,
    500: InternalServerError,
    502: BadGatewayError,
    503: ServiceUnavailableError,
    504: GatewayTimeoutError,
}


def error_class_for_status(status: int) -> type[StatusError]:
    """The error class for a non-2xx status: exact entry, else ServerError for 5xx, else StatusError."""
    cls = STATUS_ERRORS.get(status)
    if cls is not None:
        return cls
    return ServerError if 500 <= status <= 599 else StatusError


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The request id from the first known header present (names compared case-insensitively)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in REQUEST_ID_HEADERS:
        if name in lowered:
            return lowered[name]
    return None


def error_for_status(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    endpoint: str | None,
    service: str | None,
    attempts: int,
    token: str | None = None,
) -> StatusError:
    """Build the typed error for a response: ``HTTP 401 from service demo: <body>; check …``.

    With ``token``, the whole body and every header are redacted before anything is cut or kept
    (SEC-3): a cut made first could leave a prefix of the token in the excerpt.
    """
    cls = error_class_for_status(status)
    if token:
        body = redact_bytes(body, token)
        headers = redact_header_map(headers, token)
    excerpt = body[:200].decode("utf-8", "replace").strip()
    # A custom URL (URL-4) has no service name: its URL names what answered (ERR-3).
    name = service or endpoint or "(unknown)"
    who = f"service {name}"
    hint = cls.hint.format(service=name)
    message = redact_text(f"HTTP {status} from {who}: {excerpt or '(empty body)'}; {hint}", token)
    return cls(
        message,
        status=status,
        body=body,
        request_id=request_id_of(headers),
        headers=headers,
        endpoint=endpoint,
        attempts=attempts,
    )
