"""A minimal keep-alive HTTP/1.1 server for the streaming benchmark: every POST gets the same
pre-built chunked ``text/event-stream`` body, written with one ``sendall``, so the server costs
next to nothing and the figures measure the clients' parsing.

    python -m benchmarks._sse_server <events> [<data bytes per event>]   # prints the port, serves
    python -m benchmarks._sse_server --bytes <MiB>                         # a big stream of 64 KiB events

Every event is ``data: <payload>\\n\\n``; the body is sent in 16 KiB HTTP chunks (a generating
server's typical flush size).
"""

from __future__ import annotations

import socket
import sys
import threading

CHUNK = 16 * 1024


def build_body(events: int, size: int) -> bytes:
    one = [b"data: " + (b"%0*d" % (size, i))[-size:] + b"\n\n" for i in range(min(events, 1000))]
    raw = b"".join(one[i % len(one)] for i in range(events)) if events else b""
    parts = [raw[i : i + CHUNK] for i in range(0, len(raw), CHUNK)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


def serve_connection(conn: socket.socket, send: object) -> None:
    buf = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            head, _, buf = buf.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(buf) < length:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            buf = buf[length:]
            try:
                send(conn)  # type: ignore[operator]
            except OSError:
                return


def main(argv: list[str]) -> None:
    if argv[0] == "--bytes":
        mib = int(argv[1])
        piece = build_body(16, 64 * 1024 - 8)[:-5]  # 16 events of ~64 KiB, without the last chunk
        repeats = max(1, mib * 1024 * 1024 // (16 * 64 * 1024))

        def send(conn: socket.socket) -> None:
            conn.sendall(HEAD)
            for _ in range(repeats):
                conn.sendall(piece)
            conn.sendall(b"0\r\n\r\n")

    else:
        body = HEAD + build_body(int(argv[0]), int(argv[1]) if len(argv) > 1 else 12)

        def send(conn: socket.socket) -> None:
            conn.sendall(body)

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    print(sock.getsockname()[1], flush=True)
    while True:
        conn, _ = sock.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve_connection, args=(conn, send), daemon=True).start()


if __name__ == "__main__":
    main(sys.argv[1:])
