"""A stream call's decisions (spec/protocol.md §13), pure: the Accept header, how long the next read
may wait, and the typed error for whatever ended a stream after its headers.

Before the headers a stream is a predict attempt and the call loop decides (STREAM-2); after them
nothing is retried (STREAM-3), so these functions only bound the reads and word the failure::

    budget = read_budget(timeout=5.0, deadline=None, elapsed=42.0)  # Budget(5.0, by_deadline=False)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any, NamedTuple

from .errors import (
    BODY_EXCERPT_BYTES,
    StreamContentTypeError,
    StreamError,
    StreamReadError,
    StreamTimeoutError,
    TransportError,
)
from .redact import Secret, redact_bytes, redact_text
from .sse import EVENT_STREAM, MAX_LINE_BYTES, ServerSentEvent

ACCEPT = "Accept"


class Budget(NamedTuple):
    """How long the next read may wait, and whether the deadline (not ``timeout``) set that."""

    seconds: float
    by_deadline: bool


def with_accept(headers: dict[str, str]) -> None:
    """STREAM-1: ask for an event stream unless the caller chose what to accept (any letter case)."""
    for name in headers:
        if name.lower() == "accept":
            return
    headers[ACCEPT] = EVENT_STREAM


def read_budget(timeout: float, deadline: float | None, elapsed: float) -> Budget:
    """STREAM-4/5: each read waits for ``timeout`` of silence, never past the call's deadline.
    A budget of 0 or less means the deadline has already passed."""
    if deadline is None:
        return Budget(timeout, False)
    left = deadline - elapsed
    return Budget(left, True) if left < timeout else Budget(timeout, False)


class KeptEvents:
    """STREAM-10: the delivered events an error carries, bounded so a long stream costs no more
    than ``limit`` bytes of event data (the most recent events, always at least the last one)."""

    __slots__ = ("_events", "_total", "delivered", "limit")

    def __init__(self, limit: int = MAX_LINE_BYTES) -> None:
        self._events: deque[ServerSentEvent] = deque()
        self._total = 0
        self.delivered = 0
        self.limit = limit

    def add(self, event: ServerSentEvent) -> None:
        data = event.data
        self._total += len(data) if data.isascii() else len(data.encode("utf-8"))
        self._events.append(event)
        self.delivered += 1
        events = self._events
        while self._total > self.limit and len(events) > 1:
            old = events.popleft().data
            self._total -= len(old) if old.isascii() else len(old.encode("utf-8"))

    def kept(self) -> list[ServerSentEvent]:
        return list(self._events)

    def take_back(self) -> None:
        """The last event was not delivered after all (a chat raised on it, STREAM-12)."""
        if self._events:
            old = self._events.pop().data
            self._total -= len(old) if old.isascii() else len(old.encode("utf-8"))
            self.delivered -= 1


class StreamContext(NamedTuple):
    """What every error of one stream carries (STREAM-10)."""

    endpoint: str
    service: str | None
    attempts: int
    status: int
    token: Secret | None  # a holder, so a traceback's locals never show the token (SEC-4)
    timeout: float
    deadline: float | None


def stream_error(
    cause: TransportError | StreamError,
    ctx: StreamContext,
    *,
    events: Sequence[Any],
    bytes_received: int,
    events_delivered: int = 0,
    by_deadline: bool = False,
) -> StreamError:
    """The error a read raises: an engine's failure becomes its StreamError kind (a reset or an
    early close StreamReadError, silence StreamTimeoutError), a parser's error gets the context."""
    if isinstance(cause, StreamError):
        error = cause
        message = cause.message
    elif cause.cause_kind == "timeout":
        error = StreamTimeoutError("")
        if by_deadline:
            message = (
                f"the call's deadline of {ctx.deadline}s ran out while reading the stream from {ctx.endpoint}"
            )
        else:
            message = (
                f"no data from {ctx.endpoint} for {ctx.timeout}s in the middle of a stream; "
                "the stream is closed (pass a larger timeout= for slower services)"
            )
    else:
        error = StreamReadError("")
        message = f"the stream from {ctx.endpoint} broke before its end: {cause.message}"
    error.message = redact_text(message, _reveal(ctx))
    error.args = (error.message,)
    error.endpoint = ctx.endpoint
    error.attempts = ctx.attempts
    error.status = ctx.status
    error.events = list(events)
    error.events_delivered = events_delivered
    error.bytes_received = bytes_received
    return error


def content_type_error(content_type: str | None, body: bytes, ctx: StreamContext) -> StreamContentTypeError:
    """STREAM-8: events were asked for and the answer is something else; show what it was."""
    token = _reveal(ctx)
    if token:
        body = redact_bytes(body, token)
    excerpt = body[:200].decode("utf-8", "replace").strip()
    name = ctx.service or ctx.endpoint
    message = redact_text(
        f"expected {EVENT_STREAM} from service {name}, got {content_type or '(none)'}: "
        f"{excerpt or '(empty body)'}; read it with iter_bytes() or check the service's path",
        token,
    )
    return StreamContentTypeError(
        message,
        content_type=content_type,
        body=body[:BODY_EXCERPT_BYTES],
        events=(),
        bytes_received=len(body),
        status=ctx.status,
        endpoint=ctx.endpoint,
        attempts=ctx.attempts,
    )


def _reveal(ctx: StreamContext) -> str | None:
    return None if ctx.token is None else ctx.token.reveal()
