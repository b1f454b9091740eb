"""One serving instance as a raw ASGI app: EAS gateway behaviour (auth, 450 when the queue is full,
408 past rpc.keepalive, 404 for another service), the discovery API, health and the admin API.

The predict path is plain ASGI (no router, no Request object): it is the hot path that the
``make bench`` runtime figure measures against a bare starlette app.
"""

from __future__ import annotations

import asyncio
import email.utils
import hmac
import json
import logging
import socket
import struct
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .._core.auth import md5_matches, verify_signature
from .faults import Faults, FaultSpec
from .processor import Answer, ProcessorHost
from .settings import RuntimeSettings
from .workers import WorkerPool

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
DISCOVERY_PREFIXES = (
    "/api/v1/servicediscovery/upstreams/",
    "/exported/apis/eas.alibaba-inc.k8s.io/v1/upstreams/",
)
PREDICT_PREFIX = "/api/predict/"
logger = logging.getLogger("eas_client.server")


class DroppedConnection(Exception):
    """Raised after the response head to make the server drop the connection mid-response."""


@dataclass
class Stats:
    requests: int = 0
    completed: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    process_calls: Counter[bytes] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        """A snapshot; safe from another thread (LocalRuntime.stats()) because dict() and list()
        copy in one step under the GIL, where iterating the live counters could see them grow."""
        statuses = dict(self.statuses)
        calls = list(self.process_calls.values())
        return {
            "requests": self.requests,
            "completed": self.completed,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "duplicate_bodies": sum(1 for n in calls if n > 1),
        }


class Instance:
    """An ASGI app serving one processor with its own worker threads, queue and counters."""

    def __init__(
        self,
        name: str,
        host: ProcessorHost,
        settings: RuntimeSettings,
        discovery: Callable[[str], list[dict[str, Any]] | None] | None = None,
    ) -> None:
        self.name = name
        self.host = host
        self.settings = settings
        self.discovery = discovery
        self.workers = WorkerPool(settings.worker_threads, f"eas-{name}")
        self.capacity = settings.worker_threads + settings.queue_size
        self.admitted = 0  # touched only on the event loop thread
        self.idle = threading.Event()  # set whenever no process() call is running or queued
        self.idle.set()
        self.stats = Stats()
        self.faults = Faults()
        self.track_bodies = False
        self.discovery_failure: tuple[int, bytes] | None = None
        # Runtime-wide admin actions (upstreams, stopping an instance); only the gateway has them.
        self.control: Callable[[str, bytes], tuple[int, bytes]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        method: str = scope["method"]
        if method == "POST" and not path.startswith("/_admin/"):
            await self._predict(scope, receive, send)
        elif method == "GET" and path == "/health":
            await _reply(send, 200, b"ok", "text/plain")
        elif method == "GET" and path.startswith(DISCOVERY_PREFIXES):
            await self._discover(path, send)
        elif path.startswith("/_admin/"):
            await self._admin(method, path, receive, send)
        else:
            await _reply(send, 405, b"use POST to call the service", "text/plain")

    async def _predict(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_body(receive)
        stats = self.stats
        stats.requests += 1
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refuse(scope["path"], headers, body)
        if refusal is not None:
            await self._answer(send, refusal)
            return
        kind, code = self.faults.decide()
        spec = self.faults.spec
        if spec.latency_ms:
            await asyncio.sleep(spec.latency_ms / 1000)
        if kind == "status":
            extra = [(b"retry-after", spec.retry_after.encode())] if spec.retry_after else []
            await self._answer(send, Answer(code, b"injected fault", "text/plain"), extra)
            return
        if kind == "reset":
            stats.statuses[0] += 1
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
            )
            raise DroppedConnection("injected connection drop")
        if kind == "close":
            stats.statuses[0] += 1
            await _reset_connection(send)
            raise DroppedConnection("injected connection reset")
        if self.admitted >= self.capacity:
            await self._answer(send, Answer(450, b"instance queue is full", "text/plain"))
            return
        await self._answer(send, await self._run(body))

    def _refuse(self, path: str, headers: dict[str, str], body: bytes) -> Answer | None:
        settings = self.settings
        if path.startswith(PREDICT_PREFIX):
            service = path[len(PREDICT_PREFIX) :].split("/", 1)[0]
            if settings.service is not None and service != settings.service:
                msg = f"service {service!r} not found; this runtime serves {settings.service!r}"
                return Answer(404, msg.encode(), "text/plain")
        if settings.token is not None and not self._authorized(path, headers, body):
            return Answer(401, b"authorization failed: missing or wrong token", "text/plain")
        return None

    def _authorized(self, path: str, headers: dict[str, str], body: bytes) -> bool:
        token = self.settings.token
        assert token is not None
        given = headers.get("authorization", "")
        if not given.startswith("EAS "):
            return hmac.compare_digest(given.encode(), token.encode())
        md5, date = headers.get("content-md5", ""), headers.get("date", "")
        if not md5_matches(body, md5) or not self._date_ok(date):
            return False
        return verify_signature(token, given, md5, headers.get("content-type", ""), date, path)

    def _date_ok(self, date: str) -> bool:
        skew = self.settings.max_date_skew_s
        if skew is None:  # off by default: official SDKs send local time labelled GMT
            return True
        try:
            when = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return False
        return abs(time.time() - when) <= skew

    async def _run(self, body: bytes) -> Answer:
        stats = self.stats
        self.admitted += 1
        self.idle.clear()
        stats.in_flight = self.admitted
        stats.max_in_flight = max(stats.max_in_flight, self.admitted)
        if self.track_bodies:
            stats.process_calls[body[:64]] += 1
        loop = asyncio.get_running_loop()
        future = self.workers.submit(loop, self.host.call, body, self._release)
        # A timer instead of wait_for: no extra task per request on the hot path.
        timer = loop.call_later(self.settings.keepalive_ms / 1000, _expire, future)
        answer: Answer | None = await future
        timer.cancel()
        if answer is None:
            # The worker thread cannot be stopped: it keeps its slot until process() returns.
            msg = f"request timed out after {self.settings.keepalive_ms} ms (rpc.keepalive)"
            return Answer(408, msg.encode(), "text/plain")
        return answer

    def _release(self) -> None:
        self.admitted -= 1
        self.stats.in_flight = self.admitted
        self.stats.completed += 1
        if self.admitted == 0:
            self.idle.set()

    async def _answer(
        self, send: Send, answer: Answer, extra: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        self.stats.statuses[answer.status] += 1
        await _reply(send, answer.status, answer.body, answer.content_type, extra)

    async def _discover(self, path: str, send: Send) -> None:
        if self.discovery_failure is not None:
            status, body = self.discovery_failure
            await _reply(send, status, body, "text/plain")
            return
        service = path.rsplit("/", 1)[-1]
        items = self.discovery(service) if self.discovery is not None else None
        if items is None:
            await _reply(send, 404, f"no service {service!r}".encode(), "text/plain")
            return
        doc = json.dumps({"endpoints": {"items": items}}).encode()
        await _reply(send, 200, doc, "application/json")

    async def _admin(self, method: str, path: str, receive: Receive, send: Send) -> None:
        if path == "/_admin/stats" and method == "GET":
            await _reply(send, 200, json.dumps(self.stats.to_json()).encode(), "application/json")
            return
        if path == "/_admin/faults" and method in ("POST", "PUT"):
            try:
                spec = FaultSpec.from_json(json.loads(await _read_body(receive) or b"{}"))
            except (ValueError, TypeError) as exc:
                await _reply(send, 400, f"bad fault settings: {exc}".encode(), "text/plain")
                return
            self.faults.set(spec)
            await _reply(send, 200, json.dumps(spec.to_json()).encode(), "application/json")
            return
        if self.control is not None and method == "POST":
            status, reply = self.control(path, await _read_body(receive))
            await _reply(send, status, reply, "application/json" if status == 200 else "text/plain")
            return
        await _reply(send, 404, b"admin endpoints: GET /_admin/stats, POST /_admin/faults", "text/plain")

    def close(self) -> None:
        self.workers.shutdown()


def _expire(future: asyncio.Future[Answer | None]) -> None:
    if not future.done():
        future.set_result(None)


async def _reset_connection(send: Send) -> None:
    """Reset the connection before any response byte. ASGI cannot say this, so reach the transport
    of uvicorn's request cycle (``send`` is its bound method in both the h11 and httptools
    protocols). SO_LINGER 0 turns the close into a TCP RST, as from a crashed instance."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.Transport):
        return  # another server: the raise that follows becomes its 500
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let connection_lost run first, so uvicorn does not try to answer on the dead connection.
    await asyncio.sleep(0)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _reply(
    send: Send, status: int, body: bytes, content_type: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", uuid.uuid4().hex.encode()),
    ]
    if extra:
        headers += extra
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
