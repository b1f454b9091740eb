"""A raw HTTP/1.1 reader for stream tests: it returns each chunk of a chunked body as the server
framed it, so a test can tell chunks sent one by one from one buffered body."""

from __future__ import annotations

import select
import socket
from urllib.parse import urlsplit

TIMEOUT_S = 10.0


class RawStream:
    """One request on its own connection; ``chunk()`` reads the next chunk of the answer."""

    def __init__(
        self, url: str, body: bytes = b"", headers: dict[str, str] | None = None, method: str = "POST"
    ) -> None:
        parts = urlsplit(url)
        assert parts.hostname == "127.0.0.1" and parts.port is not None
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT_S)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [
            f"{method} {target} HTTP/1.1",
            f"Host: 127.0.0.1:{parts.port}",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        self._buf = b""
        head = self._until(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split(" ")[1])
        self.headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self._buf += data
        return bool(data)

    def _until(self, marker: bytes) -> bytes:
        while marker not in self._buf:
            if not self._fill():
                raise EOFError(f"connection closed before {marker!r}; got {self._buf[:200]!r}")
        out, _, self._buf = self._buf.partition(marker)
        return out

    def chunk(self) -> bytes:
        """The next chunk's data (b"" for the last chunk); EOFError if the connection ends first."""
        size = int(self._until(b"\r\n").split(b";")[0], 16)
        while len(self._buf) < size + 2:
            if not self._fill():
                raise EOFError(f"connection closed inside a chunk; got {self._buf[:200]!r}")
        data, self._buf = self._buf[:size], self._buf[size + 2 :]
        return data

    def pending(self, wait: float = 0.05) -> bool:
        """Whether any byte is waiting (buffered or on the socket) within ``wait`` seconds."""
        return bool(self._buf) or bool(select.select([self.sock], [], [], wait)[0])

    def body(self) -> bytes:
        """The rest of a non-chunked body up to Content-Length."""
        length = int(self.headers["content-length"])
        while len(self._buf) < length:
            if not self._fill():
                break
        return self._buf[:length]

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
