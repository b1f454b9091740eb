"""A real HTTP/1.1 server on 127.0.0.1 that answers with scripted replies in order and records
every request it saw. Used by the spec scenario runner and the client tests."""

from __future__ import annotations

import itertools
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_SEQUENCE = itertools.count()


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay_ms: int = 0
    reset: bool = False
    echo: bool = False  # answer with the request's own body
    when: bytes | None = None  # answer only a request with exactly this body
    drip_ms: int = 0  # pause before each body byte
    close_after: bool = False  # close once answered, without announcing Connection: close
    omit_length: bool = False  # no Content-Length: the body ends when the connection closes


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    peer: int = 0
    seq: int = field(default_factory=lambda: next(_SEQUENCE))  # global arrival order across servers
    version: str = "HTTP/1.1"


class ScriptedServer:
    """``with ScriptedServer([Reply(503), Reply(200, body=b"ok")]) as srv: …``; ``srv.seen`` lists
    the requests. Each request takes the first unused reply whose ``when`` is unset or equals its
    body; when none is left, ``default`` answers (200 ``ok`` unless given)."""

    def __init__(self, replies: list[Reply] | None = None, default: Reply | None = None) -> None:
        self.replies = list(replies or [])
        self.default = default or Reply(200, body=b"ok")
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str = "/api/predict/demo") -> str:
        return self.origin + path

    def next_reply(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            for i, reply in enumerate(self.replies):
                if reply.when is None or reply.when == seen.body:
                    return self.replies.pop(i)
            return self.default

    def done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def _make_handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            headers = {k.lower(): v for k, v in self.headers.items()}
            seen = Seen(
                self.command, path, query, headers, body, self.client_address[1], version=self.request_version
            )
            reply = server.next_reply(seen)
            try:
                if reply.delay_ms:
                    time.sleep(reply.delay_ms / 1000)  # the scripted slowness itself, not a sync
                if reply.reset:
                    # SO_LINGER 0 makes close() send RST: the client sees a reset, not a clean EOF.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                out = body if reply.echo else reply.body
                if not reply.omit_length:
                    self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                _write_body(self.wfile, out, reply.drip_ms)
                if reply.close_after or reply.omit_length:
                    self.close_connection = True
            except OSError:
                self.close_connection = True
            finally:
                server.done()

        do_POST = do_GET = do_PUT = do_DELETE = _handle

        def finish(self) -> None:
            try:
                super().finish()
            except OSError:
                pass

    return Handler


def _write_body(out: Any, body: bytes, drip_ms: int) -> None:
    if not drip_ms:
        out.write(body)
        return
    for i in range(len(body)):
        time.sleep(drip_ms / 1000)  # the scripted slowness itself, not a sync
        out.write(body[i : i + 1])
