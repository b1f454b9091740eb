"""Plain-HTTP and WebSocket access to a local asynchronous service, for the queue runtime tests
(no queue client: these tests pin the server, whatever client calls it)."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from eas_client.server.queue.codec import Frame, decode_frame, decode_list

UID, GID = "X-EAS-QueueService-Redis-Uid", "X-EAS-QueueService-Redis-Gid"
REQUEST_ID = "X-Eas-Queueservice-Request-Id"
PROTOBUF = "application/vnd.google.protobuf"


class Queue:
    """One queue (``<service>`` or ``<service>/sink``) over plain HTTP."""

    def __init__(self, url: str, token: str | None, uid: str = "u1", gid: str = "eas") -> None:
        self.url = url
        self.token = token
        self.headers = {UID: uid, GID: gid}
        if token is not None:
            self.headers["Authorization"] = token
        self.http = httpx.Client(timeout=30.0)

    def close(self) -> None:
        self.http.close()

    def call(
        self, method: str, params: Mapping[str, Any] | None = None, body: bytes | None = None, **headers: str
    ) -> httpx.Response:
        return self.http.request(
            method, self.url, params=dict(params or {}), content=body, headers={**self.headers, **headers}
        )

    def put(self, data: bytes, **params: Any) -> tuple[int, str]:
        resp = self.call("POST", params, data)
        assert resp.status_code == 200, resp.text
        return int(resp.text), resp.headers[REQUEST_ID]

    def get(self, **params: Any) -> list[Frame]:
        params.setdefault("_timeout_", "0s")
        resp = self.call("GET", params, Accept=PROTOBUF)
        assert resp.status_code == 200, resp.text
        return decode_list(resp.content)

    def commit(self, *indexes: int) -> httpx.Response:
        return self.call("PUT", {"_indexes_": ",".join(map(str, indexes))})

    def attributes(self) -> dict[str, str]:
        resp = self.call("GET", {"_attrs_": "true"})
        assert resp.status_code == 200, resp.text
        doc: dict[str, str] = resp.json()
        return doc

    def length(self) -> int:
        return int(self.attributes()["stream.length"])

    def watch(self, **params: Any) -> ClientConnection:
        query = {"_watch_": "true", "_index_": 0, "_window_": 10, **params}
        url = self.url.replace("http://", "ws://", 1) + "?" + httpx.QueryParams(query).__str__()
        return connect(url, additional_headers=self.headers, open_timeout=10)


def recv_frame(ws: ClientConnection, timeout: float = 10.0) -> Frame:
    message = ws.recv(timeout=timeout)
    assert isinstance(message, bytes), f"watch frames are binary, got {type(message).__name__}"
    return decode_frame(message)


def abort(ws: ClientConnection) -> None:
    """Vanish without a close frame, as the official client's close() does."""
    ws.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    ws.socket.close()
