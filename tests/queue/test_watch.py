"""The watch over a real WebSocket on 127.0.0.1 (protocol.md QUEUE-11…13), both twins: frames in
order, reconnect and resume without gaps or repeats, refused handshakes, bad frames, close."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import eas_client
from eas_client._core.dataframe import DataFrame
from eas_client.queue import AsyncQueueClient, QueueClient

from .app import TOKEN, Faults, QueueState, serve

TWINS = ["sync", "async"]


@pytest.fixture
def state() -> QueueState:
    s = QueueState()
    for i in range(1, 6):
        s.add("demo", DataFrame(i, {"n": str(i)}, f"item-{i}".encode()))
    return s


@pytest.fixture
def origin(state: QueueState) -> Iterator[str]:
    with serve(state) as url:
        yield url


def _watch(twin: str, origin: str, n: int, token: str = TOKEN, **kwargs: Any) -> list[DataFrame]:
    """Read ``n`` frames through one watch of the given twin, then close it."""
    opts = {"queue": "demo", "uid": "w-1", "max_reconnects": kwargs.pop("max_reconnects", 5)}
    if twin == "sync":
        with QueueClient(origin, token, **opts) as client, client.watch(**kwargs) as frames:
            return [next(frames) for _ in range(n)]

    async def run() -> list[DataFrame]:
        async with AsyncQueueClient(origin, token, **opts) as client:
            client._inner._rand = lambda: 0.0
            async with client.watch(**kwargs) as frames:
                return [await frames.__anext__() for _ in range(n)]

    return asyncio.run(asyncio.wait_for(run(), 30))


@pytest.mark.parametrize("twin", TWINS)
def test_frames_arrive_in_order_with_their_fields(twin: str, origin: str, state: QueueState) -> None:
    got = _watch(twin, origin, 5, window=8)
    assert [(f.index, f.tags, f.data) for f in got] == [
        (i, {"n": str(i)}, f"item-{i}".encode()) for i in range(1, 6)
    ]
    assert state.watch_queries[0] == {
        "_watch_": "true",
        "_index_": "0",
        "_window_": "8",
        "_index_only_": "false",
        "_auto_commit_": "false",
    }


@pytest.mark.parametrize("twin", TWINS)
def test_a_drop_resumes_after_the_last_index_delivered(twin: str, origin: str, state: QueueState) -> None:
    state.faults = Faults(drop_after=[2, 2])
    got = _watch(twin, origin, 5)
    assert [f.index for f in got] == [1, 2, 3, 4, 5]  # no gap, no repeat
    assert [q["_index_"] for q in state.watch_queries] == ["0", "3", "5"]


@pytest.mark.parametrize("twin", TWINS)
def test_frames_sent_again_after_a_reconnect_are_not_delivered_twice(
    twin: str, origin: str, state: QueueState
) -> None:
    state.faults = Faults(drop_after=[3], resend_from_start=True)  # at-least-once redelivery
    got = _watch(twin, origin, 5)
    assert [f.index for f in got] == [1, 2, 3, 4, 5]
    assert len(state.watch_queries) == 2


@pytest.mark.parametrize("twin", TWINS)
def test_a_503_handshake_is_retried_and_a_401_is_raised(twin: str, origin: str, state: QueueState) -> None:
    state.faults = Faults(refuse_status=[503])
    assert [f.index for f in _watch(twin, origin, 1)] == [1]
    with pytest.raises(eas_client.AuthenticationError) as info:
        _watch(twin, origin, 1, token="wrong-token-123")
    assert info.value.status == 401 and "wrong-token-123" not in str(info.value)


@pytest.mark.parametrize("twin", TWINS)
def test_a_missing_queue_is_not_found(twin: str, origin: str, state: QueueState) -> None:
    state.faults = Faults(refuse_status=[404])
    with pytest.raises(eas_client.NotFoundError):
        _watch(twin, origin, 1)


@pytest.mark.parametrize("twin", TWINS)
@pytest.mark.parametrize("fault", ["text_frame", "garbage_frame"])
def test_a_frame_that_is_not_a_dataframe_is_a_payload_error(
    twin: str, fault: str, origin: str, state: QueueState
) -> None:
    state.faults = Faults(text_frame=fault == "text_frame", garbage_frame=fault == "garbage_frame")
    with pytest.raises(eas_client.PayloadError) as info:
        _watch(twin, origin, 1)
    assert ("text" in str(info.value)) == (fault == "text_frame")


@pytest.mark.parametrize("twin", TWINS)
def test_a_normal_close_ends_the_iteration(twin: str, origin: str, state: QueueState) -> None:
    state.faults = Faults(end_when_empty=True)
    if twin == "sync":
        with QueueClient(origin, TOKEN, queue="demo") as client:
            assert [f.index for f in client.watch()] == [1, 2, 3, 4, 5]
        return

    async def run() -> list[int]:
        async with AsyncQueueClient(origin, TOKEN, queue="demo") as client:
            return [f.index async for f in client.watch()]

    assert asyncio.run(run()) == [1, 2, 3, 4, 5]


def test_reconnects_are_bounded_by_max_reconnects() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with QueueClient(f"http://127.0.0.1:{port}", TOKEN, queue="demo", max_reconnects=1) as client:
        client._inner._rand = lambda: 0.0
        started = time.monotonic()
        with pytest.raises(eas_client.ConnectError) as info:
            next(iter(client.watch()))
    assert info.value.attempts == 2
    assert time.monotonic() - started < 5  # 0.25 s + 0.5 s of backoff, plus connects


def test_close_from_another_thread_ends_a_waiting_iteration(origin: str, state: QueueState) -> None:
    with QueueClient(origin, TOKEN, queue="demo") as client:
        frames = client.watch(index=100)  # nothing there: next() waits
        timer = threading.Timer(0.3, frames.close)
        timer.start()
        started = time.monotonic()
        with pytest.raises(StopIteration):
            next(frames)
        timer.join()
        assert time.monotonic() - started < 5
        frames.close()  # a second close is harmless


def test_watch_arguments_are_checked_before_any_io() -> None:
    with QueueClient("http://127.0.0.1:9", TOKEN, queue="demo") as client:
        with pytest.raises(eas_client.ConfigError, match="reserved"):
            client.watch(tags={"_watch_": "x"})
        with pytest.raises(eas_client.ConfigError):
            client.watch(index=-1)


def _raw_ws_server(
    payload: bytes, hold: threading.Event | None = None
) -> tuple[socket.socket, threading.Thread]:
    """A WebSocket server that completes the handshake, sends ``payload`` raw and closes the
    socket (the way to cut a connection in the middle of a frame), or with ``hold`` keeps it open
    and silent until the event is set (a peer that never answers a ping)."""
    import base64
    import hashlib

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def run() -> None:
        for _ in range(2):
            conn, _ = srv.accept()
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    head += conn.recv(4096)
                key = next(
                    line.split(b":", 1)[1].strip()
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"sec-websocket-key")
                )
                accept = base64.b64encode(
                    hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()
                ).decode()
                conn.sendall(
                    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
                    + payload
                )
                if hold is not None:  # read (and ignore) pings until the client hangs up
                    conn.settimeout(10)
                    while not hold.is_set() and conn.recv(4096):
                        pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return srv, thread


def test_a_connection_closed_mid_frame_is_a_drop_then_the_watch_gives_up() -> None:
    # A binary frame header announcing 10 bytes, followed by 3: the server then closes.
    srv, thread = _raw_ws_server(bytes([0x82, 10]) + b"\x08\x01\x12")
    port = srv.getsockname()[1]
    with QueueClient(f"http://127.0.0.1:{port}", TOKEN, queue="demo", max_reconnects=1) as client:
        client._inner._rand = lambda: 0.0
        with pytest.raises(eas_client.ReadError) as info:
            next(iter(client.watch()))
    thread.join(5)
    srv.close()
    assert "lost" in str(info.value) and info.value.attempts == 2


def test_a_peer_that_never_answers_a_ping_is_dropped_and_redialled() -> None:
    hold = threading.Event()
    srv, thread = _raw_ws_server(b"", hold)
    port = srv.getsockname()[1]
    opts: dict[str, Any] = {"max_reconnects": 1, "ping_interval": 0.1, "ping_timeout": 0.2}
    with QueueClient(f"http://127.0.0.1:{port}", TOKEN, queue="demo", **opts) as client:
        client._inner._rand = lambda: 0.0
        started = time.monotonic()
        with pytest.raises(eas_client.ReadError) as info:
            next(iter(client.watch()))
    elapsed = time.monotonic() - started
    hold.set()
    thread.join(5)
    srv.close()
    assert info.value.attempts == 2  # both connections were dropped for a missing pong
    assert 0.5 < elapsed < 5  # two pings with 0.3 s each, plus the 0.25 s backoff
