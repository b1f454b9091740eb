"""The default sync engine (http.client + our pool): stale keep-alive detection and pool limits."""

from __future__ import annotations

import gzip
import socket
import threading

from eas_client import EASClient, ReadError, RetryPolicy

from ..scripted_server import Reply, ScriptedServer

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(4096)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        int(v)
        for k, v in (line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
        if k.lower() == b"content-length"
    )
    while len(rest) < length:
        rest += conn.recv(4096)
    return rest


def test_a_keep_alive_connection_the_server_closed_is_replaced_without_a_retry() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    closed = threading.Event()
    bodies: list[bytes] = []

    def serve() -> None:
        for _ in range(2):  # two connections: the server drops the first after one answer
            conn, _ = listener.accept()
            with conn:
                bodies.append(_read_request(conn))
                conn.sendall(RESPONSE)
                if len(bodies) == 1:
                    conn.shutdown(socket.SHUT_RDWR)
            closed.set()

    thread = threading.Thread(target=serve)
    thread.start()
    port = listener.getsockname()[1]
    with EASClient(f"http://127.0.0.1:{port}/api/predict/x", max_retries=0) as client:
        assert client.request(b"first").body == b"ok"
        assert closed.wait(10)  # the idle connection in our pool is dead now
        resp = client.request(b"second")
    thread.join(10)
    listener.close()
    assert (resp.body, resp.attempts) == (b"ok", 1)
    assert bodies == [b"first", b"second"]


def test_at_most_pool_size_idle_connections_are_kept() -> None:
    with ScriptedServer() as srv, EASClient(srv.url(), pool_size=2) as client:
        assert client.predict_many([b"x"] * 40, concurrency=8) == [b"ok"] * 40
        idle = client._transport._idle[srv.origin]  # type: ignore[attr-defined]
        assert 1 <= len(idle) <= 2
        pooled_ports = {conn.sock.getsockname()[1] for conn in idle}
        assert client.predict(b"y") == b"ok"
    assert srv.seen[-1].peer in pooled_ports  # the next call reused a pooled connection


def test_engine_names_are_checked() -> None:
    import pytest

    from eas_client import AsyncEASClient, ConfigError

    with pytest.raises(
        ConfigError, match="EASClient has no engine 'aiohttp'; use one of http.client, urllib3"
    ):
        EASClient("http://h/api/predict/x", engine="aiohttp")
    with pytest.raises(ConfigError, match="AsyncEASClient has no engine 'urllib3'; use one of aiohttp"):
        AsyncEASClient("http://h/api/predict/x", engine="urllib3")


def test_gzip_responses_are_decoded_and_a_corrupt_one_is_a_read_error() -> None:
    """HTTP-3 on the engine that has no decoder of its own: valid gzip is decoded, broken gzip is a
    typed ReadError (retried like a reset), never a zlib traceback."""
    gz = {"Content-Encoding": "GZip"}
    replies = [Reply(200, gz, gzip.compress(b"hello")), Reply(200, gz, b"not gzip"), Reply(200, gz, b"nope")]
    policy = RetryPolicy(max_retries=1, backoff_base=0)
    with ScriptedServer(replies) as srv, EASClient(srv.url(), retry=policy) as client:
        assert client.predict(b"x") == b"hello"
        try:
            client.predict(b"x")
        except ReadError as exc:
            assert "gzip" in str(exc) and exc.attempts == 2
        else:
            raise AssertionError("a corrupt gzip body must raise ReadError")
    assert len(srv.seen) == 3
