"""The queue API of a local asynchronous-inference service: ``<service>`` (input) and
``<service>/sink`` (results), over plain HTTP and a WebSocket watch. See
docs/async-inference-runtime.md for every operation.

The app sits in front of the gateway's ServiceApp: health, discovery and admin paths go to it; the
service paths are queues. Authentication, the service-name check and the body-size limit are the
gateway's own (``ServiceApp._refuse``), so a queue call is refused exactly as a predict call is.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from .codec import Frame, encode_attributes, encode_frame, encode_list
from .params import (
    ATTRS_KEYS,
    COUNT_KEYS,
    END_KEYS,
    GET_KEYS,
    INDEXES_KEYS,
    MAX_LENGTH,
    PUT_KEYS,
    SEARCH_KEYS,
    TRUNC_KEYS,
    WATCH_KEYS,
    BadQuery,
    flag,
    indexes,
    integer,
    negative_code,
    negative_reason,
    parse_duration,
    positive_index,
    split_query,
)
from .store import Item, QueueStore

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
logger = logging.getLogger("eas_client.server.queue")

PREDICT_PREFIX = "/api/predict/"
SINK = "sink"
HEADER_UID = "X-EAS-QueueService-Redis-Uid"
HEADER_GID = "X-EAS-QueueService-Redis-Gid"
HEADER_PRIORITY = "X-EAS-QueueService-Priority"
HEADER_REQUEST_ID = "X-Eas-Queueservice-Request-Id"
PROTOBUF = "application/vnd.google.protobuf"
DEFAULT_GID = "eas"
DEFAULT_WINDOW = 16  # the clients' default (spec QUEUE-3)
DEFAULT_TIMEOUT = "5s"
# A get that finds nothing answers this much before its _timeout_: the official Python client reads
# with a timeout equal to the default _timeout_ (5 s), so an answer at exactly 5 s would race it.
EARLY_ANSWER_S = 0.5
EARLY_ANSWER_SHARE = 0.1
# How often a waiting get or watcher rechecks even without a wake-up (a safety net, not the path).
RECHECK_S = 1.0
STREAM_APPROX_MAX_LENGTH = 1 << 31


class Bell:
    """Wakes everyone waiting for a queue to change. Take ``event`` *before* looking at the store,
    then wait on it: a change in between has already set it, so no wake-up is lost."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def ring(self) -> None:
        self.event.set()
        self.event = asyncio.Event()


async def wait_for(event: asyncio.Event, timeout: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)


class QueueError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class QueueService:
    """Both queues of one service, over a :class:`QueueStore`."""

    def __init__(self, store: QueueStore, name: str, lease_s: float, max_body: int) -> None:
        self.store = store
        self.name = name
        self.input = name
        self.sink = f"{name}/{SINK}"
        self.lease_s = lease_s
        self.max_body = max_body
        self.bells = {self.input: Bell(), self.sink: Bell()}
        self.watchers: dict[str, int] = {self.input: 0, self.sink: 0}
        self.now: Callable[[], float] = time.monotonic

    # ---- locating a queue ------------------------------------------------------------------
    def queue_for(self, path: str) -> str:
        """``/api/predict/<svc>`` → input queue, ``…/<svc>/sink`` → sink; else 404."""
        if not path.startswith(PREDICT_PREFIX):
            raise QueueError(404, f"no queue at {path[:100]!r}: queues are under {PREDICT_PREFIX}<service>")
        rest = path[len(PREDICT_PREFIX) :].strip("/")
        _, _, sub = rest.partition("/")
        if sub == "":
            return self.input
        if sub == SINK:
            return self.sink
        raise QueueError(
            404,
            f"queue {rest!r} does not exist: this asynchronous service has the queues "
            f"{self.input!r} and {self.sink!r}",
        )

    def ring(self, queue: str) -> None:
        self.bells[queue].ring()

    def ring_all(self) -> None:
        for bell in self.bells.values():
            bell.ring()

    # ---- HTTP ------------------------------------------------------------------------------
    async def http(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        if scope["method"] == "GET" and any(k == "_watch_" for k, _ in parse_qsl(query)):
            await self.http_watch(scope, receive, send)
            return
        try:
            queue = self.queue_for(scope["path"])
            status, body, content_type, extra = await self._dispatch(scope, receive, headers, queue)
        except BadQuery as exc:
            status, body, content_type, extra = 400, str(exc).encode(), "text/plain", []
        except QueueError as exc:
            status, body, content_type, extra = exc.status, str(exc).encode(), "text/plain", []
        await reply(send, status, body, content_type, extra)

    async def _dispatch(
        self, scope: Scope, receive: Receive, headers: dict[str, str], queue: str
    ) -> tuple[int, bytes, str, list[tuple[bytes, bytes]]]:
        method: str = scope["method"]
        query = scope.get("query_string", b"").decode("latin-1")
        keys = {k for k, _ in parse_qsl(query, keep_blank_values=True)}
        if method == "POST" and "_eos_" in keys:
            params, _ = split_query(query, END_KEYS)
            dropped = self.store.end(queue, flag(params, "_force_", False))
            self.ring(queue)
            return 200, f"OK (queue ended{f', {dropped} items dropped' if dropped else ''})".encode(), _T, []
        if method == "POST":
            body = await read_body(receive, self.max_body)
            return self._put(queue, query, headers, body)
        if method == "GET":
            if "_attrs_" in keys:
                split_query(query, ATTRS_KEYS)
                return self._attributes(queue, headers)
            if "_search_" in keys:
                return self._search(queue, query)
            if "_count_" in keys:
                params, tags = split_query(query, COUNT_KEYS)
                priority = integer(params, "_priority_", -1, 0) if params.get("_priority_") else None
                return 200, str(self.store.count(queue, priority, tags)).encode(), _T, []
            return await self._get(queue, query, headers)
        if method == "PUT":
            params, _ = split_query(query, INDEXES_KEYS)
            wanted = indexes(params)
            if flag(params, "_negative_", False):
                form = dict(parse_qsl((await read_body(receive, 64 * 1024)).decode("utf-8", "replace")))
                code = negative_code(form.get("_code_", ""))
                reason = negative_reason(form.get("_reason_", ""))
                done = self.store.negative(queue, wanted, code, reason)
            else:
                done = self.store.commit(queue, wanted)
            self.ring(queue)
            return 200, f"OK ({done} of {len(wanted)})".encode(), _T, []
        if method == "DELETE":
            if "_trunc_" in keys:
                params, _ = split_query(query, TRUNC_KEYS)
                index = positive_index(params.get("_index_", ""), "_index_")
                done = self.store.truncate(queue, index)
            else:
                params, _ = split_query(query, INDEXES_KEYS)
                wanted = indexes(params)
                done = self.store.delete_items(queue, wanted)
            self.ring(queue)
            return 200, f"OK ({done} deleted)".encode(), _T, []
        raise QueueError(405, f"{method} is not a queue operation: use POST, GET, PUT or DELETE")

    def _put(
        self, queue: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes, str, list[tuple[bytes, bytes]]]:
        params, tags = split_query(query, PUT_KEYS)
        if HEADER_PRIORITY.lower() in headers and "_priority_" not in params:
            params["_priority_"] = headers[HEADER_PRIORITY.lower()]
        priority = integer(params, "_priority_", 0, 0, 1 << 31)
        if self.store.ended(queue):
            raise QueueError(409, f"queue {queue!r} has ended (end of stream): it takes no more items")
        index, request_id = self.store.put(queue, body, tags, priority)
        self.ring(queue)
        return 200, str(index).encode(), _T, [(HEADER_REQUEST_ID.encode(), request_id.encode())]

    async def _get(
        self, queue: str, query: str, headers: dict[str, str]
    ) -> tuple[int, bytes, str, list[tuple[bytes, bytes]]]:
        params, tags = split_query(query, GET_KEYS)
        start = integer(params, "_index_", 0, 0)
        length = integer(params, "_length_", 1, 1, MAX_LENGTH)
        timeout = parse_duration(params.get("_timeout_", DEFAULT_TIMEOUT))
        auto_delete = flag(params, "_auto_delete_", True)
        raw = flag(params, "_raw_", False)
        # A get's lease belongs to its caller's identity, so the same caller may fetch it again.
        group = headers.get(HEADER_GID.lower(), DEFAULT_GID)
        owner = f"get:{group}:{headers.get(HEADER_UID.lower(), '')}"
        deadline = self.now() + max(0.0, timeout - min(EARLY_ANSWER_S, timeout * EARLY_ANSWER_SHARE))
        while True:
            event = self.bells[queue].event
            items = self.store.take(
                queue,
                owner=owner,
                start=start,
                limit=length,
                lease_s=None if auto_delete else self.lease_s,
                now=self.now(),
                tags=tags,
                include_own=True,
            )
            left = deadline - self.now()
            if items or left <= 0:
                break
            await wait_for(event, min(left, RECHECK_S))
        if items:
            self.ring(queue)  # a deleted item may free a watcher's window; a lease changes nothing
        if raw:
            body = items[0].data if items else b""
            extra = [(b"x-eas-queueservice-index", str(items[0].index).encode())] if items else []
            return 200, body, "application/octet-stream", extra
        frames = [_frame(item) for item in items]
        if "application/json" in headers.get("accept", ""):
            return 200, json.dumps([_frame_json(f) for f in frames]).encode(), "application/json", []
        return 200, encode_list(frames), PROTOBUF, []

    def _attributes(
        self, queue: str, headers: dict[str, str]
    ) -> tuple[int, bytes, str, list[tuple[bytes, bytes]]]:
        attrs = self.attributes(queue)
        if PROTOBUF in headers.get("accept", ""):
            return 200, encode_attributes(attrs), PROTOBUF, []
        return 200, json.dumps(attrs, sort_keys=True).encode(), "application/json", []

    def attributes(self, queue: str) -> dict[str, str]:
        """Every value a string, as the service's AttributesProto (map<string, string>) has it."""
        stream = self.store.stream(queue)
        return {
            "meta.backend": self.store.backend,
            "meta.name": queue,
            "meta.state": "Ended" if self.store.ended(queue) else "Normal",
            "meta.maxPayloadBytes": str(self.max_body),
            "meta.header.user": HEADER_UID,
            "meta.header.group": HEADER_GID,
            "meta.header.priority": HEADER_PRIORITY,
            "stream.length": str(stream["length"]),
            "stream.approxMaxLength": str(STREAM_APPROX_MAX_LENGTH),
            "stream.firstEntry": str(stream["first"]),
            "stream.lastEntry": str(stream["issued"]),
            "stream.pending": str(stream["leased"]),
            "consumers.status.total": str(self.watchers[queue]),
        }

    def _search(self, queue: str, query: str) -> tuple[int, bytes, str, list[tuple[bytes, bytes]]]:
        params, _ = split_query(query, SEARCH_KEYS)
        index = positive_index(params.get("_index_", ""), "_index_")
        item = self.store.get(queue, index)
        if item is None:
            msg = f"index {index} is not in queue {queue!r} (never put, or already committed)"
            raise QueueError(404, msg)
        doc = {
            "index": item.index,
            "requestId": item.request_id,
            "priority": item.priority,
            "status": "Pending" if item.owner else "Waiting",
            "waitCount": 0 if item.owner else self.store.position(queue, item),
            "deliveries": item.deliveries,
        }
        return 200, json.dumps(doc).encode(), "application/json", []

    # ---- watch: WebSocket, or plain HTTP with length-prefixed frames ------------------------
    def _watch_params(self, scope: Scope) -> tuple[str, int, int, dict[str, str], bool, bool]:
        queue = self.queue_for(scope["path"])
        query = scope.get("query_string", b"").decode("latin-1")
        params, tags = split_query(query, WATCH_KEYS)
        start = integer(params, "_index_", 0, 0)
        window = integer(params, "_window_", DEFAULT_WINDOW, 1, 1 << 20)
        index_only = flag(params, "_index_only_", False)
        auto_commit = flag(params, "_auto_commit_", False)
        if self.store.ended(queue) and self.store.stream(queue)["length"] == 0:
            raise QueueError(410, f"queue {queue!r} has ended and is empty: nothing left to watch")
        return queue, start, window, tags, index_only, auto_commit

    async def watch(self, scope: Scope, receive: Receive, send: Send, refusal: QueueError | None) -> None:
        """One binary frame per DataFrame. A refused handshake gets a plain HTTP answer (the
        official client reconnects forever after an accepted-then-closed socket)."""
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        try:
            if refusal is not None:
                raise refusal
            args = self._watch_params(scope)
        except (BadQuery, QueueError) as exc:
            status = exc.status if isinstance(exc, QueueError) else 400
            await deny(scope, send, status, str(exc))
            return
        await send({"type": "websocket.accept"})

        async def emit(frame: bytes) -> None:
            await send({"type": "websocket.send", "bytes": frame})

        if not await self._serve_watch(emit, receive, *args):
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": 1000})

    async def http_watch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET ?_watch_=true`` without a WebSocket (the Go SDK's HTTP watch): one streamed
        answer of frames, each a 4-byte big-endian length and a DataFrameProto."""
        try:
            args = self._watch_params(scope)
        except (BadQuery, QueueError) as exc:
            status = exc.status if isinstance(exc, QueueError) else 400
            await reply(send, status, str(exc).encode(), _T)
            return
        head = [(b"content-type", b"application/octet-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": head})

        async def emit(frame: bytes) -> None:
            body = len(frame).to_bytes(4, "big") + frame
            await send({"type": "http.response.body", "body": body, "more_body": True})

        if not await self._serve_watch(emit, receive, *args):
            with contextlib.suppress(Exception):
                await send({"type": "http.response.body", "body": b""})

    async def _serve_watch(
        self,
        emit: Callable[[bytes], Awaitable[None]],
        receive: Receive,
        queue: str,
        start: int,
        window: int,
        tags: dict[str, str],
        index_only: bool,
        auto_commit: bool,
    ) -> bool:
        """Feed one watcher until it goes away (True) or the ended queue is drained (False)."""
        owner = f"watch:{uuid.uuid4()}"
        gone = asyncio.Event()
        reader = asyncio.ensure_future(self._read_until_gone(receive, gone, queue))
        self.watchers[queue] += 1
        try:
            await self._feed(emit, queue, owner, gone, start, window, tags, index_only, auto_commit)
        except Exception as exc:  # the peer vanished mid-send: its leases are released below
            logger.debug("watcher %s ended: %r", owner, exc)
        finally:
            self.watchers[queue] -= 1
            reader.cancel()
            if self.store.release(owner):
                self.ring(queue)
        return gone.is_set()

    async def _read_until_gone(self, receive: Receive, gone: asyncio.Event, queue: str) -> None:
        try:
            while not (await receive())["type"].endswith(".disconnect"):
                pass  # frames from the client carry nothing the service acts on
        finally:
            gone.set()
            self.ring(queue)

    async def _feed(
        self,
        emit: Callable[[bytes], Awaitable[None]],
        queue: str,
        owner: str,
        gone: asyncio.Event,
        start: int,
        window: int,
        tags: dict[str, str],
        index_only: bool,
        auto_commit: bool,
    ) -> None:
        store = self.store
        while not gone.is_set():
            event = self.bells[queue].event
            room = window if auto_commit else window - store.pending(queue, owner)
            items: list[Item] = []
            if room > 0:
                lease = None if auto_commit else self.lease_s
                items = store.take(
                    queue, owner=owner, start=start, limit=room, lease_s=lease, now=self.now(), tags=tags
                )
            for item in items:
                frame = _frame(item)
                if index_only:
                    frame = Frame(frame.index, frame.tags)
                await emit(encode_frame(frame))
            if items:
                continue
            if store.ended(queue) and store.stream(queue)["length"] == 0:
                return
            await wait_for(event, RECHECK_S)


_T = "text/plain"


def _frame(item: Item) -> Frame:
    return Frame(item.index, item.all_tags, item.data, item.message)


def _frame_json(frame: Frame) -> dict[str, Any]:
    data = base64.b64encode(frame.data).decode()
    doc: dict[str, Any] = {"index": frame.index, "tags": frame.tags, "data": data}
    if frame.message:
        doc["message"] = frame.message
    return doc


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise QueueError(499, "client went away while sending the body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise QueueError(413, f"body is over {limit} bytes (meta.maxPayloadBytes)")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def reply(
    send: Send, status: int, body: bytes, content_type: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


async def deny(scope: Scope, send: Send, status: int, message: str) -> None:
    """Refuse a WebSocket handshake with an HTTP status (the ASGI denial-response extension);
    servers without it can only close, which uvicorn answers with 403."""
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
        return
    body = message.encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": body})
