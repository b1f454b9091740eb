"""A small in-memory queue server (HTTP + WebSocket, starlette on uvicorn in a thread) for the queue
client's real-socket tests, with switches for the faults the watch must survive. It is a test
double of protocol.md §15, not the runtime's queue service."""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from eas_client._core.dataframe import DataFrame, encode_dataframe, encode_dataframe_list
from eas_client._core.queue import HEADER_REQUEST_ID, parse_wait

TOKEN = "queue-test-token-42"


@dataclass
class Faults:
    """Scripted trouble for the next watch connections."""

    drop_after: list[int] = field(default_factory=list)  # per connection: drop after n frames
    resend_from_start: bool = False  # a reconnect re-sends every frame from the first item
    text_frame: bool = False  # send a text message instead of the next frame
    garbage_frame: bool = False  # send bytes that are not a DataFrame
    refuse_status: list[int] = field(default_factory=list)  # refuse the next handshakes so
    end_when_empty: bool = False  # close with 1000 once every item was sent


@dataclass
class QueueState:
    items: dict[str, list[DataFrame]] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    faults: Faults = field(default_factory=Faults)
    watch_queries: list[dict[str, str]] = field(default_factory=list)
    committed: list[int] = field(default_factory=list)
    # Model an async inference service: each put to a queue gets its result on <queue>/sink.
    answer: bool = False
    changed: asyncio.Condition | None = None

    def add(self, queue: str, frame: DataFrame) -> None:
        self.items.setdefault(queue, []).append(frame)


def make_app(state: QueueState) -> Starlette:
    def authorized(headers: Any) -> bool:
        return bool(headers.get("authorization") == TOKEN)

    async def notify() -> None:
        assert state.changed is not None
        async with state.changed:
            state.changed.notify_all()

    async def http(request: Request) -> Response:
        if state.changed is None:
            state.changed = asyncio.Condition()
        if not authorized(request.headers):
            return Response(b"bad token", 401)
        queue, query = request.path_params["queue"], request.query_params
        items = state.items.setdefault(queue, [])
        if request.method == "POST" and "_eos_" not in query:
            index = next(state.counter)
            rid = f"rid-{index}"
            tags = {k: v for k, v in query.items() if not k.startswith("_")}
            body = await request.body()
            items.append(DataFrame(index, {**tags, "requestId": rid}, body))
            if state.answer and not queue.endswith("/sink"):
                state.add(queue + "/sink", DataFrame(next(state.counter), {"requestId": rid}, body.upper()))
            await notify()
            return Response(str(index).encode(), headers={HEADER_REQUEST_ID: rid})
        if request.method in ("PUT", "DELETE") and "_indexes_" in query:
            gone = {int(i) for i in query["_indexes_"].split(",")}
            state.committed.extend(sorted(gone))
            items[:] = [f for f in items if f.index not in gone]
            return Response(b"OK")
        if "_attrs_" in query:
            return JSONResponse({"meta.name": queue, "stream.length": str(len(items))})
        if "_count_" in query:
            return Response(str(len(items)).encode())
        if request.method == "GET":  # get: wait up to _timeout_ for a match (QUEUE-5)
            wait = parse_wait(query["_timeout_"])
            wanted = query.get("requestId")
            deadline = asyncio.get_running_loop().time() + wait * 0.9
            while True:
                found = [f for f in items if wanted is None or f.tags.get("requestId") == wanted][
                    : int(query["_length_"])
                ]
                left = deadline - asyncio.get_running_loop().time()
                if found or left <= 0:
                    break
                async with state.changed:
                    try:
                        await asyncio.wait_for(state.changed.wait(), left)
                    except asyncio.TimeoutError:
                        pass
            if query.get("_auto_delete_") == "true":
                items[:] = [f for f in items if f not in found]
            return Response(encode_dataframe_list(found))
        return Response(b"OK")

    async def watch(ws: WebSocket) -> None:
        if state.changed is None:
            state.changed = asyncio.Condition()
        faults = state.faults
        if faults.refuse_status:
            await ws.send_denial_response(Response(b"refused", faults.refuse_status.pop(0)))
            return
        if not authorized(ws.headers):
            await ws.send_denial_response(Response(b"bad token", 401))
            return
        queue = ws.path_params["queue"]
        query = dict(ws.query_params)
        state.watch_queries.append(query)
        await ws.accept()
        start = 0 if faults.resend_from_start else int(query["_index_"])
        drop_after = faults.drop_after.pop(0) if faults.drop_after else None
        sent = 0
        gone = asyncio.ensure_future(ws.receive())  # done when the client closes or drops
        try:
            while not gone.done():
                pending = [f for f in state.items.get(queue, []) if f.index >= start]
                for frame in pending:
                    if faults.text_frame:
                        await ws.send_text("not a frame")
                    elif faults.garbage_frame:
                        await ws.send_bytes(b"\x0b\x0c")
                    else:
                        await ws.send_bytes(encode_dataframe(frame))
                    start, sent = frame.index + 1, sent + 1
                    if drop_after is not None and sent >= drop_after:
                        raise ConnectionAbortedError("scripted drop")  # uvicorn closes with 1011
                if faults.end_when_empty and not pending:
                    await ws.close(1000)
                    return
                async with state.changed:
                    try:
                        await asyncio.wait_for(state.changed.wait(), 0.05)
                    except asyncio.TimeoutError:
                        pass
        except WebSocketDisconnect:
            return
        finally:
            gone.cancel()

    routes = [
        Route("/api/predict/{queue:path}", http, methods=["GET", "POST", "PUT", "DELETE"]),
        WebSocketRoute("/api/predict/{queue:path}", watch),
    ]
    return Starlette(routes=routes)


@contextmanager
def serve(state: QueueState) -> Iterator[str]:
    """Serve the app on an ephemeral 127.0.0.1 port; yields the origin."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        make_app(state),
        log_level="warning",
        ws="websockets-sansio",
        ws_ping_interval=None,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)  # uvicorn exposes readiness only as this flag
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
