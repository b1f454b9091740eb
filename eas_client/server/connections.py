"""Connection guards for the runtime's HTTP servers: a per-port connection limit with a clean 503,
a deadline for the request head, a bound on its size, and one log line per condition (at most one
every ``LOG_EVERY_S``) instead of one per socket.

uvicorn alone keeps a connection that never sends a complete head forever, does not bound the
head's size with httptools, and lets connections pile up to the process's fd limit, where accept()
fails and real calls time out. These guards sit in a subclass of its httptools protocol, so the
request path itself is unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import RuntimeSettings

# How long a keep-alive connection may sit idle between requests (uvicorn's timeout_keep_alive).
IDLE_TIMEOUT_S = 5
LOG_EVERY_S = 10.0
logger = logging.getLogger("eas_client.server")


class ConditionLog:
    """Logs a condition when it first happens, then at most once every ``every`` seconds with the
    number of times it happened since the last line."""

    def __init__(self, every: float = LOG_EVERY_S) -> None:
        self.every = every
        self._last: dict[str, float] = {}
        self._count: dict[str, int] = {}

    def note(self, condition: str, message: str) -> None:
        self._count[condition] = self._count.get(condition, 0) + 1
        now = time.monotonic()
        last = self._last.get(condition)
        if last is not None and now - last < self.every:
            return
        count = self._count.pop(condition)
        self._last[condition] = now
        since = "" if last is None else f" ({count} times in the last {now - last:.0f} s)"
        logger.warning("%s%s", message, since)


CONDITIONS = ConditionLog()


class _AcceptErrorFilter(logging.Filter):
    """asyncio logs a traceback for every failed accept() at the fd limit; keep one line per
    ``LOG_EVERY_S`` instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "socket.accept() out of system resource" not in record.getMessage():
            return True
        CONDITIONS.note("accept", "accept() failed: the process is out of file descriptors (ulimit -n)")
        return False


# One shared instance: addFilter() ignores a filter already present.
ACCEPT_FILTER = _AcceptErrorFilter()


def connection_budget(ports: int) -> int:
    """Connections per port that fit under the process's fd limit, leaving room for files,
    listening sockets and the client sockets of tests in the same process."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 30
    return max(16, (soft // 2) // max(ports, 1))


def guarded_protocol(settings: RuntimeSettings, budget: int | None = None) -> type[HttpToolsProtocol]:
    """The httptools protocol class with this runtime's limits (the connection limit lowered to
    ``budget`` when the fd limit cannot hold it on every port)."""
    limit = settings.max_connections if budget is None else min(settings.max_connections, budget)
    if limit < settings.max_connections:
        logger.info(
            "--max-connections %d lowered to %d per port to stay under the open-file limit (ulimit -n)",
            settings.max_connections,
            limit,
        )

    class Guarded(GuardedProtocol):
        max_connections = limit
        waiting = {}  # this port's connections without a request in progress, oldest first
        header_timeout_s = settings.header_timeout_s
        max_header_bytes = settings.max_header_bytes

    return Guarded


class GuardedProtocol(HttpToolsProtocol):
    max_connections = 256
    header_timeout_s = 10.0
    max_header_bytes = 64 * 1024
    # At the limit, a new connection closes the one that has waited longest without sending a
    # request (stalled, or idle keep-alive), so stalled sockets cannot lock real callers out. Only
    # when every connection has a request in progress is the newcomer refused with 503.
    waiting: dict[GuardedProtocol, None] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refused = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._awaiting_head = True
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.max_connections and not self._evict_one(transport):
            self._refused = True
            port = _port(transport)
            CONDITIONS.note(
                f"limit:{port}",
                f"port {port}: {self.max_connections} connections open (--max-connections); "
                "new connections get 503 and are closed",
            )
            msg = f"too many connections: this port serves {self.max_connections} at a time"
            _refuse(transport, 503, msg)
            return
        super().connection_made(transport)
        self.waiting[self] = None
        self._arm_head_timer()

    def _evict_one(self, transport: asyncio.Transport) -> bool:
        victim = next(iter(self.waiting), None)
        if victim is None:
            return False
        del self.waiting[victim]
        victim._refused = True
        victim._cancel_head_timer()
        victim.transport.close()
        port = _port(transport)
        CONDITIONS.note(
            f"evict:{port}",
            f"port {port}: {self.max_connections} connections open (--max-connections); closing the "
            "longest-waiting ones that sent no request to make room",
        )
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused and self.transport is None:
            return  # refused in connection_made: uvicorn never saw it
        self.waiting.pop(self, None)
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        waiting_before = self._awaiting_head
        super().data_received(data)
        # A chunk that began and ended inside one head is all head bytes. (A chunk in which a head
        # starts or ends is bounded by the read size, and on_header counts the rest.)
        if waiting_before and self._awaiting_head and not self._refused:
            self._head_bytes += len(data)
            self._check_head_size()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_head = True
        self._head_bytes = 0
        self._arm_head_timer()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._head_bytes += len(url)
        self._check_head_size()

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._head_bytes += len(name) + len(value) + 4
        self._check_head_size()

    def on_headers_complete(self) -> None:
        self.waiting.pop(self, None)
        self._cancel_head_timer()
        self._awaiting_head = False
        if self._refused:
            return
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self._refused and not self.transport.is_closing() and not self.pipeline:
            self.waiting[self] = None  # idle keep-alive until the next request

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def _check_head_size(self) -> None:
        if self._head_bytes <= self.max_header_bytes or self._refused or self.transport.is_closing():
            return
        self._refused = True
        self._cancel_head_timer()
        CONDITIONS.note(
            "head-size",
            f"refused request heads over {self.max_header_bytes} bytes with 431 (--max-header-bytes)",
        )
        msg = f"request head is over {self.max_header_bytes} bytes"
        _refuse(self.transport, 431, msg)

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout_s, self._head_timeout)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self.transport is None or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm_head_timer()  # still answering the previous request; its successor waits
            return
        self._refused = True
        CONDITIONS.note(
            "head-timeout",
            f"closed connections that sent no complete request head within {self.header_timeout_s:g} s "
            "(--header-timeout)",
        )
        _refuse(self.transport, 408, f"request head not received within {self.header_timeout_s:g} s")


def _refuse(transport: asyncio.Transport, status: int, message: str) -> None:
    reason = {408: "Request Timeout", 431: "Request Header Fields Too Large", 503: "Service Unavailable"}
    body = message.encode()
    head = (
        f"HTTP/1.1 {status} {reason[status]}\r\ncontent-type: text/plain\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    transport.write(head.encode() + body)
    transport.close()


def _port(transport: asyncio.Transport) -> int | str:
    sockname = transport.get_extra_info("sockname")
    return sockname[1] if isinstance(sockname, tuple) else "?"
