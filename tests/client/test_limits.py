"""Section 12 over real sockets on every engine: a dripping server cannot outlast the attempt's
budget, a huge answer is cut at max_response_bytes without being read, bad headers never leave,
and a server that drops keep-alive connections costs no failed call."""

from __future__ import annotations

import gzip
import re
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from eas_client import ConfigError, ReadError, ReadTimeoutError, ResponseTooLargeError
from eas_client._transports._bounds import CappedGunzip

from ..conftest import ClientFactory
from ..scripted_server import Reply, ScriptedServer

MIB = 1024 * 1024


def test_dripping_server_is_cut_at_timeout_not_deadline(make_client: ClientFactory) -> None:
    # The reported case: one byte every 0.5 s kept timeout=2, deadline=3 busy for 20 s.
    with ScriptedServer([Reply(200, body=b"d" * 40, drip_ms=500)]) as srv:
        client = make_client(srv.url(), timeout=2.0, deadline=3.0, max_retries=0)
        started = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            client.predict(b"x")
        elapsed = time.monotonic() - started
    assert 1.9 <= elapsed <= 2.6, elapsed


class TrickleServer:
    """Answers the requests of each connection with the next of ``scripts``: a list of
    ``(pause_s, bytes)`` steps sent in order, each after its pause. A pause with no bytes after
    it is a stall: the connection is held open, silent, until the server stops."""

    def __init__(self, scripts: list[list[tuple[float, bytes]]]) -> None:
        self.scripts = list(scripts)
        self.requests = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/api/predict/demo"

    def _serve(self) -> None:
        conn, _ = self._sock.accept()
        with conn:
            data = b""
            while self.scripts and not self._stop.is_set():
                while b"\r\n\r\n" not in data:
                    got = conn.recv(65536)
                    if not got:
                        return
                    data += got
                head, _, data = data.partition(b"\r\n\r\n")
                data = data[int(re.search(rb"(?i)content-length: *(\d+)", head).group(1)) :]  # type: ignore[union-attr]
                self.requests += 1
                for pause, chunk in self.scripts.pop(0):
                    if self._stop.wait(pause):  # the scripted slowness itself, not a sync
                        return
                    conn.sendall(chunk)

    def __enter__(self) -> TrickleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=10)


def _drip(data: bytes, every: float) -> list[tuple[float, bytes]]:
    return [(every, data[i : i + 1]) for i in range(len(data))]


STALL = (30.0, b"")
HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n"
QUICK = [(0.0, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")]


def _cut_at_the_budget(client: Any) -> None:
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        client.predict(b"x")
    elapsed = time.monotonic() - started
    assert 1.9 <= elapsed <= 2.5, elapsed


def test_a_read_stalled_late_in_the_body_is_cut_at_timeout(make_client: ClientFactory) -> None:
    # A body read that starts 1.5 s into a 2 s budget may wait 0.5 s more, not another 2 s.
    with TrickleServer([[(0.0, HEAD), *_drip(b"abc", 0.5), STALL]]) as srv:
        _cut_at_the_budget(make_client(srv.url, timeout=2.0, deadline=3.0, max_retries=0))


def test_dripping_headers_are_cut_at_timeout(make_client: ClientFactory) -> None:
    with TrickleServer([_drip(HEAD + b"d" * 40, 0.5)]) as srv:
        _cut_at_the_budget(make_client(srv.url, timeout=2.0, deadline=3.0, max_retries=0))


@pytest.mark.parametrize("script", [[(0.0, HEAD), *_drip(b"abc", 0.5), STALL], [(1.5, b"HTTP/1.1 2"), STALL]])
def test_a_stall_on_a_reused_connection_is_cut_at_timeout(
    make_client: ClientFactory, script: list[tuple[float, bytes]]
) -> None:
    with TrickleServer([QUICK, script]) as srv:
        client = make_client(srv.url, timeout=2.0, deadline=3.0, max_retries=0)
        assert client.predict(b"x") == b"ok"
        _cut_at_the_budget(client)
        assert srv.requests == 2


def test_framing_header_is_refused_at_construction(make_client: ClientFactory) -> None:
    with ScriptedServer() as srv:
        for name in ("Content-Length", "transfer-encoding", "Host", "CONNECTION"):
            with pytest.raises(ConfigError, match=name):
                make_client(srv.url(), headers={name: "1"})
        client = make_client(srv.url())
        with pytest.raises(ConfigError):
            client.predict(b"x", headers={"X-Smuggle": "a\r\nContent-Length: 0"})
        with pytest.raises(ConfigError):
            client.predict(b"x", headers={"X-Nel": "a\x85b"})
    assert srv.seen == []


class FloodServer:
    """Answers one request with a 200 MB body (declared or not) and counts what it got to send
    before the client hung up: the client's memory cannot exceed what was sent."""

    BODY = 200 * MIB

    def __init__(self, declare: bool) -> None:
        self.declare = declare
        self.sent = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.done = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/api/predict/demo"

    def _serve(self) -> None:
        conn, _ = self._sock.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head = b"HTTP/1.1 200 OK\r\n"
            framing = b"Content-Length: %d" % self.BODY if self.declare else b"Connection: close"
            head += framing + b"\r\n\r\n"
            conn.sendall(head)
            chunk = b"f" * 65536
            try:
                while self.sent < self.BODY:
                    conn.sendall(chunk)
                    self.sent += len(chunk)
            except OSError:
                pass
        self.done.set()

    def __enter__(self) -> FloodServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sock.close()
        self._thread.join(timeout=10)


@pytest.fixture(params=[True, False], ids=["declared", "unframed"])
def flood(request: pytest.FixtureRequest) -> Iterator[FloodServer]:
    with FloodServer(declare=request.param) as server:
        yield server


def test_huge_answer_is_cut_at_the_cap(make_client: ClientFactory, flood: FloodServer) -> None:
    client = make_client(flood.url, max_response_bytes=MIB, max_retries=3)
    with pytest.raises(ResponseTooLargeError) as info:
        client.predict(b"x")
    assert info.value.limit == MIB and info.value.attempts == 1
    assert flood.done.wait(10), "the client kept the connection open"
    # What the kernel buffers on loopback comes on top of the cap; the 200 MB never does.
    assert flood.sent < 24 * MIB, flood.sent


def test_server_closing_every_connection_costs_no_call(make_client: ClientFactory) -> None:
    # Before CONN-1, 14-50% of such calls failed with max_retries=0.
    calls = 30
    with ScriptedServer([Reply(200, body=b"ok", close_after=True)] * calls) as srv:
        client = make_client(srv.url(), max_retries=0)
        results = [client.predict(b"x") for _ in range(calls)]
    assert results == [b"ok"] * calls
    assert len(srv.seen) == calls


def test_with_options_applies_its_own_cap(make_client: ClientFactory) -> None:
    with ScriptedServer(default=Reply(200, body=b"z" * 100)) as srv:
        client = make_client(srv.url(), max_retries=0)
        inner = getattr(client, "client", client)
        capped = inner.with_options(max_response_bytes=99)
        assert capped._transport is not inner._transport
        assert client.predict(b"x") == b"z" * 100
        with pytest.raises(ResponseTooLargeError):
            if hasattr(client, "client"):
                client._loop.run_until_complete(capped.predict(b"x"))
            else:
                capped.predict(b"x")
        if hasattr(client, "client"):
            client._loop.run_until_complete(capped.close())
        else:
            capped.close()


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """64 MiB of zeros in about 64 KB of gzip."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MIB)
    return b"".join(packer.compress(zeros) for _ in range(64)) + packer.flush()


def test_gzip_bomb_stops_at_the_decoded_cap(make_client: ClientFactory, gzip_bomb: bytes) -> None:
    # The compressed body is far under the cap, so only counting decoded bytes can catch it; and
    # they must be counted as they are decoded: one 64 KiB network chunk of this body decodes to
    # 64 MiB, which an engine decoding a chunk at a time (httpx) would hold before checking.
    cap = 256 * 1024
    assert len(gzip_bomb) < cap
    with ScriptedServer([Reply(200, {"Content-Encoding": "gzip"}, gzip_bomb)]) as srv:
        client = make_client(srv.url(), max_response_bytes=cap, max_retries=3)
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError) as info:
                client.predict(b"x")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert info.value.limit == cap and info.value.attempts == 1
    assert peak < 16 * MIB, peak
    assert len(srv.seen) == 1


def test_gzip_body_of_exactly_the_cap_is_decoded(make_client: ClientFactory) -> None:
    body = bytes(range(256)) * 40
    gz = {"Content-Encoding": "gzip"}
    replies = [Reply(200, gz, gzip.compress(body)), Reply(200, gz, gzip.compress(body + b"!"))]
    with ScriptedServer(replies) as srv:
        client = make_client(srv.url(), max_response_bytes=len(body), max_retries=0)
        assert client.predict(b"x") == body
        with pytest.raises(ResponseTooLargeError):
            client.predict(b"x")


def _gunzip(data: bytes, cap: int | None, step: int) -> bytes:
    body = CappedGunzip(cap, "http://h/api/predict/x")
    for i in range(0, len(data), step):
        body.feed(data[i : i + step])
    return body.result()


@pytest.mark.parametrize("step", [1, 7, 1 << 20])
def test_capped_gunzip_decodes_like_gzip_decompress(step: int) -> None:
    members = gzip.compress(b"hello ") + gzip.compress(b"world" * 1000)
    assert _gunzip(members, None, step) == gzip.decompress(members)
    assert _gunzip(members, 5006, step) == gzip.decompress(members)
    with pytest.raises(ResponseTooLargeError):
        _gunzip(members, 5005, step)
    assert _gunzip(b"", 10, step) == b""


@pytest.mark.parametrize("bad", [b"not gzip", gzip.compress(b"hello")[:-3], gzip.compress(b"a") + b"junk"])
def test_capped_gunzip_bad_body_is_a_read_error(bad: bytes) -> None:
    with pytest.raises(ReadError, match="gzip"):
        _gunzip(bad, 100, 4)
