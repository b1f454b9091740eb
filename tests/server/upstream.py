"""A stand-in upstream HTTP server (stdlib, in a thread) for the forwarding tests: it records what
it was sent and answers from a script, flushing each chunk on its own when a test opens its gate."""

from __future__ import annotations

import http.server
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    port: int  # the caller's: tells connections apart


@dataclass
class Script:
    """What the upstream answers: ``chunks`` as chunked transfer, each sent once its gate opens
    (gate i guards chunk i + 1; the first chunk goes at once); ``break_after`` drops the
    connection after that many chunks; ``head_gate`` holds the head back."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/event-stream"})
    chunks: list[bytes] = field(default_factory=lambda: [b"whole body"])
    gates: list[threading.Event] = field(default_factory=list)
    break_after: int | None = None
    head_gate: threading.Event | None = None
    close_after: bool = False  # close the connection after answering, without saying so


class Upstream:
    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.script = Script()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner.seen.append(Seen(self.command, self.path, headers, body, self.client_address[1]))
                script = owner.script
                if script.head_gate is not None:
                    script.head_gate.wait(10)
                self.send_response(script.status)
                for name, value in script.headers.items():
                    self.send_header(name, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("X-Upstream", "yes")
                self.end_headers()
                self.wfile.flush()
                for i, chunk in enumerate(script.chunks):
                    if i > 0 and i - 1 < len(script.gates) and not script.gates[i - 1].wait(10):
                        return
                    if script.break_after is not None and i >= script.break_after:
                        self.close_connection = True
                        return
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                self.close_connection = script.close_after

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Upstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for gate in self.script.gates:
            gate.set()
        if self.script.head_gate is not None:
            self.script.head_gate.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)
