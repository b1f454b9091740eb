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
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from .._core.auth import md5_matches, verify_signature
from .._core.discovery import DISCOVERY_PATH
from .connections import CONDITIONS
from .faults import Faults, FaultSpec
from .forward import AsgiBackend, Backend, BackendUnavailable, HeadTimeout, Outgoing, request_headers
from .processor import Answer, ProcessorHost
from .settings import RuntimeSettings
from .streams import SSE_CONTENT_TYPE, Stream, StreamFailed
from .wire import (
    CLOSE,
    Receive,
    Scope,
    Send,
    close_unless_small,
    content_length,
    on_disconnect,
    read_body,
    reset_connection,
    send_reply,
    sse_events,
    too_large,
)
from .workers import WorkerPool

DISCOVERY_PREFIXES = (
    DISCOVERY_PATH,  # the path the client asks; the second is the form EAS also serves
    "/exported/apis/eas.alibaba-inc.k8s.io/v1/upstreams/",
)
PREDICT_PREFIX = "/api/predict/"
MAX_ADMIN_BODY = 1024 * 1024
BAD_MD5 = b"authorization failed: Content-MD5 does not match the body"
ADMIN_ROUTES = (
    b"admin endpoints: GET /_admin/stats, POST /_admin/faults, POST /_admin/upstreams, "
    b"POST /_admin/discovery-failure, POST /_admin/instances/<i>/stop"
)
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


class ServiceApp:
    """An ASGI app serving one processor with its own worker threads, queue and counters."""

    def __init__(
        self,
        name: str,
        host: ProcessorHost | None,
        settings: RuntimeSettings,
        discovery: Callable[[str], list[dict[str, Any]] | None] | None = None,
        backend: Backend | None = None,
    ) -> None:
        self.name = name
        self.host = host
        self.backend = backend  # an upstream server or ASGI app instead of the processor
        self.settings = settings
        self.discovery = discovery
        # A backend needs no threads: its calls run on the event loop.
        self.workers = WorkerPool(settings.worker_threads if backend is None else 0, f"eas-{name}")
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
        if self.backend is not None and path.startswith(PREDICT_PREFIX):
            await self._predict(scope, receive, send)  # every method: the backend decides
        elif method == "POST" and not path.startswith("/_admin/") and self.backend is None:
            await self._predict(scope, receive, send)
        elif method == "GET" and path == "/health":
            await send_reply(send, 200, b"ok", "text/plain")
        elif method == "GET" and path.startswith(DISCOVERY_PREFIXES):
            await self._discover(path, send)
        elif path.startswith("/_admin/"):
            await self._admin(method, path, scope, receive, send)
        elif self.backend is not None:
            msg = f"calls go to {PREDICT_PREFIX}<service>/<path>, forwarded to {self.backend.label}/<path>"
            await send_reply(send, 404, msg.encode(), "text/plain")
        else:
            await send_reply(send, 405, b"use POST to call the service", "text/plain")

    async def _predict(self, scope: Scope, receive: Receive, send: Send) -> None:
        stats = self.stats
        stats.requests += 1
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        # Everything that can be decided from the head is decided before a body byte is read, so an
        # unauthenticated or oversized upload costs the server nothing but its head.
        refusal = self._refuse(scope, headers)
        if refusal is not None:
            await self._answer(send, refusal, close_unless_small(headers))
            return
        body = await read_body(receive, self.settings.max_body, self.settings.body_timeout_s)
        if body is None:
            return  # the client went away mid-body: nobody to answer
        if isinstance(body, Answer):
            await self._answer(send, body, CLOSE)
            return
        if headers.get("authorization", "").startswith("EAS ") and self.settings.token is not None:
            if not md5_matches(body, headers.get("content-md5", "")):
                await self._answer(send, Answer(401, BAD_MD5, "text/plain"))
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
            await reset_connection(send)
            raise DroppedConnection("injected connection reset")
        if self.admitted >= self.capacity:
            await self._answer(send, Answer(450, b"instance queue is full", "text/plain"))
            return
        if self.backend is not None:
            await self._forward(scope, body, receive, send)
            return
        answer = await self._run(body)
        if isinstance(answer, Stream):
            await self._stream(headers, receive, send, answer)
            return
        await self._answer(send, answer)

    async def _stream(self, headers: dict[str, str], receive: Receive, send: Send, stream: Stream) -> None:
        """Send a processor's chunks as they come: chunked transfer (no length), never compressed,
        as SSE events when the caller accepts ``text/event-stream``."""
        sse = "text/event-stream" in headers.get("accept", "")
        head = [
            (b"content-type", (SSE_CONTENT_TYPE if sse else stream.content_type).encode()),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),  # tells a proxy in front (nginx) not to buffer it
            (b"x-request-id", uuid.uuid4().hex.encode()),
        ]
        chunks = sse_events(stream.__aiter__()) if sse else stream.__aiter__()
        await self._relay(receive, send, stream.status, head, chunks, stream.abandon)

    async def _relay(
        self,
        receive: Receive,
        send: Send,
        status: int,
        head: list[tuple[bytes, bytes]],
        chunks: AsyncIterator[bytes],
        leave: Callable[[], None],
    ) -> None:
        """Send a head, then each chunk as it comes. A failure after the head closes the connection
        without ending the body, so the caller sees a broken answer rather than a short one that
        looks complete; a caller who leaves makes the producer stop (``leave``)."""
        self.stats.statuses[status] += 1
        watcher: asyncio.Future[None] | None = None
        left = False

        def caller_left() -> None:
            nonlocal left
            left = True
            leave()

        try:
            await send({"type": "http.response.start", "status": status, "headers": head})
            async for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if watcher is None:  # started after the first chunk, so it costs that chunk nothing
                    watcher = asyncio.ensure_future(on_disconnect(receive, caller_left))
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except StreamFailed as exc:
            if left:
                return  # the producer failed because the caller left and it was stopped: no news
            logger.warning("%s; the stream was cut off", exc)
            raise DroppedConnection("backend failed mid-stream") from None
        finally:
            if watcher is not None:
                watcher.cancel()
            leave()  # after a clean end this changes nothing; otherwise the producer stops

    async def _forward(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        """Hand the call to the upstream server or ASGI app and relay its answer as it comes."""
        backend = self.backend
        assert backend is not None
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        service, _, rest = raw_path[len(PREDICT_PREFIX) :].partition(b"/")
        call = Outgoing(
            method=scope["method"],
            raw_path=b"/" + rest,
            query=scope.get("query_string") or b"",
            headers=request_headers(scope["headers"], keep_host=isinstance(backend, AsgiBackend)),
            body=body,
            prefix=PREDICT_PREFIX + service.decode("latin-1"),
            client=scope.get("client"),
        )
        client = call.client[0] if call.client else "unknown"
        call.headers += [(b"x-forwarded-for", client.encode()), (b"x-forwarded-prefix", call.prefix.encode())]
        self._admit()
        try:
            try:
                reply = await backend.open(call, self.settings.keepalive_ms / 1000)
            except HeadTimeout:
                msg = f"no answer from {backend.label} within {self.settings.keepalive_ms} ms (rpc.keepalive)"
                await self._answer(send, Answer(408, msg.encode(), "text/plain"))
                return
            except BackendUnavailable as exc:
                CONDITIONS.note(f"backend:{backend.label}", f"502: {exc}")
                await self._answer(send, Answer(502, str(exc).encode(), "text/plain"))
                return
            head = reply.headers
            if not any(k == b"x-request-id" for k, _ in head):
                head = [*head, (b"x-request-id", uuid.uuid4().hex.encode())]
            await self._relay(receive, send, reply.status, head, reply.body, reply.close)
        finally:
            self._release()

    def _refuse(self, scope: Scope, headers: dict[str, str]) -> Answer | None:
        """401, then 404, then 413: a caller without the token learns nothing about service names."""
        settings = self.settings
        if settings.token is not None:
            problem = self._auth_problem(scope, headers)
            if problem is not None:
                return Answer(401, f"authorization failed: {problem}".encode(), "text/plain")
        path: str = scope["path"]
        if path.startswith(PREDICT_PREFIX):
            service = path[len(PREDICT_PREFIX) :].split("/", 1)[0]
            if settings.service is not None and service != settings.service:
                msg = f"service {service!r} not found; this runtime serves {settings.service!r}"
                return Answer(404, msg.encode(), "text/plain")
        length = content_length(headers)
        if length is not None and length > settings.max_body:
            return Answer(413, too_large(settings.max_body, length), "text/plain")
        return None

    def _auth_problem(self, scope: Scope, headers: dict[str, str]) -> str | None:
        """Why the head's credentials fail, or None. A signature is checked here against the
        Content-MD5 header; that the header describes the body is checked once the body is read."""
        token = self.settings.token
        assert token is not None
        given = headers.get("authorization", "")
        if not given.startswith("EAS "):
            if hmac.compare_digest(bearer_token(given).encode(), token.encode()):
                return None
            return "missing or wrong token"
        md5, date = headers.get("content-md5", ""), headers.get("date", "")
        date_problem = self._date_problem(date)
        if date_problem is not None:
            return date_problem
        content_type = headers.get("content-type", "")
        # The path exactly as sent (still %-encoded) and without the query (spec URL-8); the
        # official Java SDK signs the query too, so that form is accepted as well.
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1")
        candidates = [path]
        query = scope.get("query_string") or b""
        if query:
            candidates.append(f"{path}?{query.decode('latin-1')}")
        if any(verify_signature(token, given, md5, content_type, date, p) for p in candidates):
            return None
        return "signature does not match (signed: POST, Content-MD5, Content-Type, Date, path without query)"

    def _date_problem(self, date: str) -> str | None:
        try:
            when = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return f"Date header {date[:40]!r} is not an RFC 1123 date"
        skew = self.settings.max_date_skew_s
        off = abs(time.time() - when)
        if off > skew:
            return f"Date is {off:.0f} s off this server's clock (tolerance {skew:.0f} s, --max-date-skew)"
        return None

    def _admit(self) -> None:
        stats = self.stats
        self.admitted += 1
        self.idle.clear()
        stats.in_flight = self.admitted
        stats.max_in_flight = max(stats.max_in_flight, self.admitted)

    async def _run(self, body: bytes) -> Answer | Stream:
        stats = self.stats
        self._admit()
        if self.track_bodies:
            stats.process_calls[body[:64]] += 1
        loop = asyncio.get_running_loop()
        assert self.host is not None  # no backend, so a processor
        future = self.workers.submit(loop, self.host.call, body, self._release)
        # A timer instead of wait_for: no extra task per request on the hot path.
        timer = loop.call_later(self.settings.keepalive_ms / 1000, _expire, future)
        answer: Answer | Stream | None = await future
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
        await send_reply(send, answer.status, answer.body, answer.content_type, extra)

    async def _discover(self, path: str, send: Send) -> None:
        if self.discovery_failure is not None:
            status, body = self.discovery_failure
            await send_reply(send, status, body, "text/plain")
            return
        service = path.rsplit("/", 1)[-1]
        items = self.discovery(service) if self.discovery is not None else None
        if items is None:
            await send_reply(send, 404, f"no service {service!r}".encode(), "text/plain")
            return
        doc = json.dumps({"endpoints": {"items": items}}).encode()
        await send_reply(send, 200, doc, "application/json")

    async def _admin(self, method: str, path: str, scope: Scope, receive: Receive, send: Send) -> None:
        problem = self._admin_problem(scope)
        if problem is not None:
            status, text = problem
            await send_reply(send, status, text.encode(), "text/plain", CLOSE)
            return
        if path == "/_admin/stats" and method == "GET":
            await send_reply(send, 200, json.dumps(self.stats.to_json()).encode(), "application/json")
            return
        if method not in ("POST", "PUT"):
            await send_reply(send, 404, ADMIN_ROUTES, "text/plain")
            return
        body = await read_body(receive, MAX_ADMIN_BODY, self.settings.body_timeout_s)
        if body is None:
            return
        if isinstance(body, Answer):
            await send_reply(send, body.status, body.body, body.content_type, CLOSE)
            return
        if path == "/_admin/faults":
            try:
                doc = json.loads(body or b"{}")
                if not isinstance(doc, dict):
                    raise ValueError("send a JSON object of fault settings")
                spec = FaultSpec.from_json(doc)
            except (ValueError, TypeError, RecursionError) as exc:
                await send_reply(send, 400, f"bad fault settings: {exc}".encode(), "text/plain")
                return
            self.faults.set(spec)
            await send_reply(send, 200, json.dumps(spec.to_json()).encode(), "application/json")
            return
        if self.control is not None and method == "POST":
            status, reply = self.control(path, body)
            await send_reply(send, status, reply, "application/json" if status == 200 else "text/plain")
            return
        await send_reply(send, 404, ADMIN_ROUTES, "text/plain")

    def _admin_problem(self, scope: Scope) -> tuple[int, str] | None:
        settings = self.settings
        if not settings.admin_enabled:
            return 403, (
                f"admin API disabled: this runtime listens on {settings.host} without a token; "
                "restart it with --admin-token (or --token) to use /_admin/*"
            )
        credential = settings.admin_credential
        if credential is None:
            return None  # loopback without any token: a development server on one machine
        given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        if hmac.compare_digest(bearer_token(given.decode("latin-1")).encode(), credential.encode()):
            return None
        return 401, "admin API needs 'Authorization: <admin token>' (the --admin-token, else the --token)"

    def close(self) -> None:
        self.workers.shutdown()


def bearer_token(authorization: str) -> str:
    """The token of ``Bearer <token>`` (the form the OpenAI SDKs send; the scheme is
    case-insensitive), else the header as given (the raw token).

    Example::

        assert bearer_token("Bearer T") == bearer_token("T") == "T"
    """
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip(" ")
    return authorization


def _expire(future: asyncio.Future[Answer | Stream | None]) -> None:
    if not future.done():
        future.set_result(None)
