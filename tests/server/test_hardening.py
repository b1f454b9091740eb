"""What an attack review of the runtime found, each over real sockets on 127.0.0.1: the admin API
needs a token, the head is judged before the body is read, bodies and heads are capped, stalled
connections are closed and counted once in the log, signed calls check Date and the raw path."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
from typing import Any

import pytest

from eas_client import AuthenticationError, EASClient, NotFoundError
from eas_client.server.serve import exposure
from eas_client.server.settings import RuntimeSettings
from eas_client.testing import LocalRuntime

from ..plain_http import call as _call
from .processors import Blocking, Echo, Shapes

TOKEN = "hardening-token-123456"
ADMIN = "admin-token-654321"


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


# -- admin API ---------------------------------------------------------------------------------


def test_admin_routes_need_the_service_token() -> None:
    with LocalRuntime(Echo, service="demo", token=TOKEN, instances=2) as rt:
        for url, method in [
            (rt.base_url + "/_admin/stats", "GET"),
            (rt.base_url + "/_admin/faults", "POST"),
            (rt.base_url + "/_admin/upstreams", "POST"),
            (rt.base_url + "/_admin/discovery-failure", "POST"),
            (rt.base_url + "/_admin/instances/0/stop", "POST"),
            (rt.instance_urls[0] + "/_admin/faults", "POST"),
        ]:
            body = b'[{"ip": "10.9.9.9", "port": 1}]' if method == "POST" else None
            for headers in ({}, {"Authorization": "wrong"}, {"Authorization": "EAS " + TOKEN}):
                status, text = _call(method, url, body, headers)
                assert (status, text) == (
                    401,
                    b"admin API needs 'Authorization: <admin token>' (the --admin-token, else the --token)",
                ), url
        # Nothing changed: discovery still lists the real instances, no instance stopped.
        listed = json.loads(_call("GET", rt.base_url + "/api/v1/servicediscovery/upstreams/demo")[1])
        assert [i["port"] for i in listed["endpoints"]["items"]] == [_port(u) for u in rt.instance_urls]
        assert rt.admin_headers == {"Authorization": TOKEN}
        assert _call("GET", rt.base_url + "/_admin/stats", None, rt.admin_headers)[0] == 200


def test_a_separate_admin_token_replaces_the_service_token_on_admin_routes() -> None:
    with LocalRuntime(Echo, service="demo", token=TOKEN, admin_token=ADMIN) as rt:
        url = rt.base_url + "/_admin/faults"
        assert _call("POST", url, b"{}", {"Authorization": TOKEN})[0] == 401
        assert _call("POST", url, b"{}", {"Authorization": ADMIN})[0] == 200
        assert rt.admin_headers == {"Authorization": ADMIN}
        assert _call("POST", rt.endpoint, b"x", {"Authorization": ADMIN})[0] == 401  # not a service token
        assert ADMIN not in repr(rt.settings) and TOKEN not in repr(rt.settings)


def test_admin_api_is_off_when_reachable_from_other_machines_without_a_token() -> None:
    open_wide = RuntimeSettings(host="0.0.0.0")
    assert not open_wide.admin_enabled
    assert RuntimeSettings(host="0.0.0.0", token="t").admin_enabled
    assert RuntimeSettings(host="127.0.0.1").admin_enabled and RuntimeSettings(host="::1").admin_enabled
    text = "\n".join(exposure(open_wide))
    assert "reachable from other machines" in text
    assert "NO TOKEN: anyone who reaches the port can call it" in text
    assert "/_admin/* is DISABLED: pass --admin-token (or --token) to enable it" in text
    guarded = "\n".join(exposure(RuntimeSettings(host="0.0.0.0", token="t", admin_token="a")))
    assert "token required" in guarded and "needs the --admin-token" in guarded
    assert exposure(RuntimeSettings(host="127.0.0.1", token="t")) == []


async def test_admin_routes_answer_403_when_disabled() -> None:
    from eas_client.server.gateway import ServiceApp
    from eas_client.server.processor import ProcessorHost

    app = ServiceApp("gateway", ProcessorHost(Echo()), RuntimeSettings(host="0.0.0.0", worker_threads=1))
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/_admin/faults", "headers": []}
    await app(scope, receive, send)
    app.close()
    assert sent[0]["status"] == 403
    assert sent[1]["body"].startswith(b"admin API disabled: this runtime listens on 0.0.0.0 without a token")


def test_bad_admin_input_is_a_400_and_later_calls_are_unaffected() -> None:
    with LocalRuntime(Echo, service="demo", token=TOKEN, instances=2) as rt:
        h = rt.admin_headers
        cases = [
            ("/_admin/faults", b'{"latency_ms": 1e309}', b"latency_ms must be a number from 0 to 600000"),
            ("/_admin/faults", b'{"latency_ms": "5"}', b"latency_ms must be a number"),
            ("/_admin/faults", b'{"retry_after": 5}', b'retry_after must be a string such as "1" or null'),
            ("/_admin/faults", b'{"rate_503": "0.5"}', b"fault rates must be numbers"),
            ("/_admin/faults", b'{"seed": 1.5}', b"seed must be an integer or null"),
            ("/_admin/faults", b"[1]", b"send a JSON object of fault settings"),
            (
                "/_admin/discovery-failure",
                b'{"status": 99}',
                b"status must be an integer 200-599 or null, got 99",
            ),
            ("/_admin/discovery-failure", b'{"status": "503"}', b"status must be an integer 200-599"),
            ("/_admin/discovery-failure", b'{"status": 503, "body": 7}', b"body must be a string, got int"),
            ("/_admin/upstreams", b'[{"ip": "10.0.0.1", "port": 70000}]', b"port must be an integer 1-65535"),
            ("/_admin/upstreams", b'[{"ip": "10.0.0.1", "port": "1"}]', b"port must be an integer 1-65535"),
            ("/_admin/upstreams", b'[{"ip": "a b", "port": 1}]', b"ip must be a non-empty string"),
            ("/_admin/upstreams", b'[{"port": 1}]', b"ip must be a non-empty string"),
        ]
        for path, body, message in cases:
            status, text = _call("POST", rt.base_url + path, body, h)
            assert status == 400 and message in text, (path, body, text)
        with EASClient(rt.endpoint, TOKEN, max_retries=0, timeout=5) as client:
            assert client.predict(b"still fine") == b"still fine"
        discovery = rt.base_url + "/api/v1/servicediscovery/upstreams/demo"
        assert _call("GET", discovery)[0] == 200
        assert rt.stats()["statuses"] == {"200": 1}


# -- the head before the body --------------------------------------------------------------------


def _stream_post(port: int, head: bytes, total: int) -> tuple[int, bytes]:
    """Send ``head`` then up to ``total`` body bytes as fast as the server takes them; a thread
    reads the answer meanwhile. Returns (bytes of body sent before the server closed, answer)."""
    answer = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:

        def read() -> None:
            try:
                while chunk := sock.recv(65536):
                    answer.extend(chunk)
            except OSError:
                pass

        reader = threading.Thread(target=read)
        reader.start()
        sock.sendall(head)
        chunk, sent = b"\0" * (1 << 20), 0
        try:
            while sent < total:
                sent += sock.send(chunk)
        except OSError:
            pass
        reader.join(10)
    return sent, bytes(answer)


def test_unauthenticated_large_posts_are_refused_without_reading_them() -> None:
    size = 100 * 1024 * 1024
    head = (
        "POST /api/predict/demo HTTP/1.1\r\nHost: t\r\nAuthorization: wrong\r\n"
        f"Content-Length: {size}\r\n\r\n"
    ).encode()
    with LocalRuntime(Echo, service="demo", token=TOKEN) as rt:
        port = _port(rt.base_url)
        rss_before = _rss_kib()
        for _ in range(5):
            sent, answer = _stream_post(port, head, size)
            assert answer.startswith(b"HTTP/1.1 401 "), answer[:100]
            assert answer.endswith(b"authorization failed: missing or wrong token")
            assert b"connection: close" in answer.lower()
            # What the kernel buffers on loopback before the server's close, not the 100 MB.
            assert sent < 24 * 1024 * 1024, sent
        growth = _rss_kib() - rss_before
        with EASClient(rt.endpoint, TOKEN, max_retries=0) as client:
            assert client.predict(b"after") == b"after"
    assert growth < 40_000, f"RSS grew by {growth} KiB"


def test_wrong_service_name_is_404_only_after_auth() -> None:
    with LocalRuntime(Echo, service="demo", token=TOKEN) as rt:
        other = rt.base_url + "/api/predict/secret-service"
        assert _call("POST", other, b"x") == (401, b"authorization failed: missing or wrong token")
        assert _call("POST", other, b"x", {"Authorization": TOKEN}) == (
            404,
            b"service 'secret-service' not found; this runtime serves 'demo'",
        )
        with EASClient(other, TOKEN) as client, pytest.raises(NotFoundError):
            client.predict(b"x")
        with EASClient(other, "wrong-token-123") as client, pytest.raises(AuthenticationError):
            client.predict(b"x")


def test_bodies_over_max_body_get_413_with_a_message() -> None:
    with LocalRuntime(Echo, service="demo", token=TOKEN, max_body=1000) as rt:
        port = _port(rt.base_url)
        auth = {"Authorization": TOKEN}
        assert _call("POST", rt.endpoint, b"a" * 1000, auth)[:2] == (200, b"a" * 1000)
        assert _call("POST", rt.endpoint, b"a" * 1001, auth) == (
            413,
            b"request body of 1001 bytes is over this runtime's limit of 1000 bytes (--max-body)",
        )
        # Chunked: no length up front, so the cap applies while reading.
        head = f"POST /api/predict/demo HTTP/1.1\r\nHost: t\r\nAuthorization: {TOKEN}\r\n"
        chunked = (head + "Transfer-Encoding: chunked\r\n\r\n").encode()
        chunk = b"200\r\n" + b"b" * 512 + b"\r\n"
        sent, answer = _stream_post(port, chunked + chunk * 3 + b"0\r\n\r\n", 0)
        assert answer.startswith(b"HTTP/1.1 413 "), answer[:80]
        assert answer.endswith(b"request body is over this runtime's limit of 1000 bytes (--max-body)")
        # Unauthenticated and too large: 401 comes first.
        assert _call("POST", rt.endpoint, b"a" * 1001)[0] == 401


def test_max_body_default_is_64_mib() -> None:
    assert RuntimeSettings().max_body == 64 * 1024 * 1024


# -- signed calls --------------------------------------------------------------------------------


def test_signed_calls_verify_the_raw_path_so_encoded_sub_paths_work() -> None:
    with LocalRuntime(Echo, service="demo", token=TOKEN) as rt:
        with EASClient(rt.endpoint, TOKEN, auth="signature", max_retries=0) as client:
            assert client.predict(b"spaced", path="a b") == b"spaced"
            assert client.predict(b"unicode", path="é/ü") == b"unicode"
            assert client.predict(b"query", path="v1", params={"k": "a b", "x": None}) == b"query"
        assert rt.stats()["statuses"] == {"200": 3}


def test_signed_calls_with_the_query_signed_are_accepted_too() -> None:
    """The official Java SDK signs ``path?query``; the runtime accepts that form as well."""
    from eas_client._core.auth import signature_headers

    with LocalRuntime(Echo, service="demo", token=TOKEN) as rt:
        signed_path = "/api/predict/demo/v1?k=1"
        headers = dict(signature_headers(TOKEN, b"j", "application/octet-stream", signed_path, time.time()))
        headers["Content-Type"] = "application/octet-stream"
        assert _call("POST", rt.endpoint + "/v1?k=1", b"j", headers) == (200, b"j")
        assert _call("POST", rt.endpoint + "/v1?k=2", b"j", headers)[0] == 401


# -- processor answers ---------------------------------------------------------------------------


def test_204_and_304_never_carry_a_body_so_keep_alive_stays_in_sync() -> None:
    with LocalRuntime(Shapes, service="demo") as rt:
        conn = http.client.HTTPConnection("127.0.0.1", _port(rt.base_url), timeout=10)
        try:
            for kind, status in [("no-content", 204), ("not-modified", 304), ("bytes", 200)]:
                conn.request("POST", "/api/predict/demo", body=kind.encode())
                resp = conn.getresponse()
                body = resp.read()
                assert resp.status == status
                assert body == (b"\x00raw" if status == 200 else b"")
                if status != 200:
                    assert resp.getheader("content-length") is None
            # A raw read of the 204 shows nothing follows its head on the connection.
            conn.request("POST", "/api/predict/demo", body=b"no-content")
            conn.sock.settimeout(10)
            raw = conn.sock.recv(65536)
            assert raw.endswith(b"\r\n\r\n") and b"must not be sent" not in raw
        finally:
            conn.close()


# -- stalled connections -------------------------------------------------------------------------


def test_stalled_sockets_make_room_for_real_calls_and_are_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stalled_count, limit = 300, 100
    with (
        caplog.at_level(logging.WARNING, logger="eas_client.server"),
        LocalRuntime(Echo, service="demo", max_connections=limit, header_timeout_s=1.0) as rt,
    ):
        port = _port(rt.base_url)
        socks = []
        try:
            for i in range(stalled_count):
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                if i % 2:
                    sock.sendall(b"POST /api/predict/demo HTTP/1.1\r\nHost: t\r\nX-Slow: ")
                socks.append(sock)
            # At the limit, the longest-waiting stalled connection makes room: a real call gets in
            # at once, without a retry.
            with EASClient(rt.endpoint, max_retries=0, timeout=5) as client:
                assert client.predict(b"real call") == b"real call"
            started = time.monotonic()
            answers = []
            for sock in socks:
                data = b""
                try:
                    while chunk := sock.recv(4096):
                        data += chunk
                except OSError:
                    pass
                answers.append(data)
            waited = time.monotonic() - started
        finally:
            for sock in socks:
                sock.close()
    # Every stalled socket was closed: made room for a newer one (no bytes), or got 408 once the
    # head deadline passed.
    evicted = sum(1 for a in answers if a == b"")
    timed_out = sum(1 for a in answers if a.startswith(b"HTTP/1.1 408 "))
    assert evicted + timed_out == stalled_count, (evicted, timed_out)
    assert evicted >= stalled_count - limit, (evicted, timed_out)
    assert waited < 5, waited
    lines = [r.getMessage() for r in caplog.records if r.name == "eas_client.server"]
    assert len(lines) <= 4, lines
    assert any("--max-connections" in line for line in lines), lines
    assert any("--header-timeout" in line for line in lines), lines


def test_a_new_connection_gets_503_when_every_connection_is_busy() -> None:
    proc = Blocking(worker_threads=3)
    with LocalRuntime(proc, service="demo", max_connections=3) as rt:
        port = _port(rt.base_url)
        threads = [threading.Thread(target=_call, args=("POST", rt.endpoint, b"busy")) for _ in range(3)]
        for thread in threads:
            thread.start()
        try:
            for _ in range(3):
                assert proc.entered.acquire(timeout=10)
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                data = b""
                while chunk := sock.recv(4096):
                    data += chunk
            assert data.startswith(b"HTTP/1.1 503 "), data[:80]
            assert data.endswith(b"too many connections: this port serves 3 at a time")
        finally:
            proc.release.set()
            for thread in threads:
                thread.join(10)
        assert _call("POST", rt.endpoint, b"after") == (200, b"done:after")


def test_a_real_call_succeeds_while_hundreds_of_sockets_stall() -> None:
    with LocalRuntime(Echo, service="demo", max_connections=512, header_timeout_s=10.0) as rt:
        port = _port(rt.base_url)
        socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(300)]
        try:
            for sock in socks[::3]:
                sock.sendall(b"POST /api/predict/demo HTTP/1.1\r\nContent-Length: 10\r\n")
            with EASClient(rt.endpoint, max_retries=0, timeout=5) as client:
                assert client.predict_many([b"a", b"b", b"c"], concurrency=3) == [b"a", b"b", b"c"]
        finally:
            for sock in socks:
                sock.close()


def test_oversized_heads_get_431_and_stalled_bodies_408() -> None:
    with LocalRuntime(Echo, service="demo", max_header_bytes=8192, body_timeout_s=1.0) as rt:
        port = _port(rt.base_url)
        head = b"POST /api/predict/demo HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 20000
        sent, answer = _stream_post(port, head, 0)
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:80]
        assert answer.endswith(b"request head is over 8192 bytes")
        # Many headers, each small, count together.
        many = b"POST /api/predict/demo HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(2000))
        assert _stream_post(port, many + b"\r\n", 0)[1].startswith(b"HTTP/1.1 431 ")
        partial = b"POST /api/predict/demo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n12345"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            started = time.monotonic()
            sock.sendall(partial)
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
        assert data.startswith(b"HTTP/1.1 408 "), data[:80]
        assert data.endswith(b"request body not received within 1 s (--body-timeout)")
        assert time.monotonic() - started < 5
        assert _call("POST", rt.endpoint, b"ok") == (200, b"ok")


def test_accept_failures_at_the_fd_limit_are_one_line_not_a_traceback_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from eas_client.server.connections import ACCEPT_FILTER, CONDITIONS

    CONDITIONS._last.pop("accept", None)
    log = logging.getLogger("asyncio")
    log.addFilter(ACCEPT_FILTER)
    try:
        with caplog.at_level(logging.WARNING):
            for _ in range(500):
                try:
                    raise OSError(24, "Too many open files")
                except OSError as exc:
                    log.error("socket.accept() out of system resource", exc_info=exc)
    finally:
        log.removeFilter(ACCEPT_FILTER)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["accept() failed: the process is out of file descriptors (ulimit -n)"]


def test_the_connection_limit_fits_under_the_fd_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import resource

    from eas_client.server.connections import connection_budget, guarded_protocol

    monkeypatch.setattr(resource, "getrlimit", lambda _: (1024, 4096))
    assert connection_budget(1) == 512 and connection_budget(4) == 128
    protocol: Any = guarded_protocol(RuntimeSettings(), connection_budget(4))
    assert protocol.max_connections == 128
    protocol = guarded_protocol(RuntimeSettings(), connection_budget(1))
    assert protocol.max_connections == 256
