"""Streamed answers over real sockets: each chunk is sent as produced (chunked transfer, never
compressed), SSE framing on ``Accept: text/event-stream``, a failure mid-stream cuts the
connection, a caller who leaves stops the generator; and ``Bearer`` tokens."""

from __future__ import annotations

import logging

import pytest

from eas_client.server.streams import sse_event
from eas_client.testing import LocalRuntime

from .processors import ENDLESS_BOUND, Gated
from .rawhttp import RawStream

TOKEN = "stream-token-123456"
AUTH = {"Authorization": TOKEN, "Accept-Encoding": "gzip, deflate"}


def _open_gates(proc: Gated) -> None:
    for gate in proc.gates:
        gate.set()


@pytest.mark.parametrize("body", [b"sync", b"async"])
def test_each_chunk_reaches_the_caller_before_the_next_exists(body: bytes) -> None:
    proc = Gated()
    with LocalRuntime(proc, service="demo", token=TOKEN) as rt, RawStream(rt.endpoint, body, AUTH) as s:
        assert s.status == 200
        assert s.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in s.headers and "content-encoding" not in s.headers
        assert s.headers["content-type"] == "application/octet-stream"
        assert s.chunk() == b"one"
        assert not s.pending()  # nothing more until the processor makes it
        proc.gates[0].set()
        assert s.chunk() == b"two\nlines"
        proc.gates[1].set()
        assert s.chunk() == "three é".encode()
        assert s.chunk() == b""  # the terminating chunk: a clean end
        assert proc.closed.wait(10)
        assert rt.wait_idle(10)
        assert rt.stats()["statuses"] == {"200": 1}


def test_sse_caller_gets_one_event_per_chunk_with_a_data_line_per_line() -> None:
    proc = Gated()
    headers = {**AUTH, "Accept": "text/event-stream"}
    with LocalRuntime(proc, service="demo", token=TOKEN) as rt, RawStream(rt.endpoint, b"", headers) as s:
        assert s.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert s.headers["cache-control"] == "no-cache"
        assert s.chunk() == b"data: one\n\n"
        proc.gates[0].set()
        assert s.chunk() == b"data: two\ndata: lines\n\n"
        proc.gates[1].set()
        assert s.chunk() == "data: three é\n\n".encode()
        assert s.chunk() == b""


@pytest.mark.parametrize(
    ("chunk", "event"),
    [
        (b"x", b"data: x\n\n"),
        (b"a\r\nb\rc\nd", b"data: a\ndata: b\ndata: c\ndata: d\n\n"),
        (b"ends with a newline\n", b"data: ends with a newline\ndata: \n\n"),
        (b"\n", b"data: \ndata: \n\n"),
        (b"data: already framed", b"data: data: already framed\n\n"),
    ],
)
def test_sse_framing_of_a_chunk(chunk: bytes, event: bytes) -> None:
    assert sse_event(chunk) == event


def test_a_failure_mid_stream_cuts_the_connection_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    proc = Gated()
    caplog.set_level(logging.WARNING)
    rt = LocalRuntime(proc, service="demo", token=TOKEN)
    # uvicorn's error log does not reach the root logger, and its set-up (when the runtime is
    # built) resets that logger's handlers: watch it directly, from here on.
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addHandler(caplog.handler)
    try:
        with rt, RawStream(rt.endpoint, b"fail", AUTH) as s:
            assert s.chunk() == b"one"
            proc.gates[0].set()
            with pytest.raises(EOFError):  # no terminating chunk: the caller can tell it is cut off
                s.chunk()
            assert rt.wait_idle(10)
    finally:
        uvicorn_log.removeHandler(caplog.handler)
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in records] == [
        "process() failed while streaming (RuntimeError: model crashed mid-reply); the stream was cut off"
    ]


def test_a_failure_before_the_first_chunk_is_a_400() -> None:
    with (
        LocalRuntime(Gated, service="demo", token=TOKEN) as rt,
        RawStream(rt.endpoint, b"fail-first", AUTH) as s,
    ):
        assert (s.status, s.body()) == (400, b"ValueError: bad prompt")


def test_a_caller_who_leaves_stops_the_generator_and_frees_the_worker() -> None:
    proc = Gated(worker_threads=1)
    with LocalRuntime(proc, service="demo", token=TOKEN, queue_size=0) as rt:
        with RawStream(rt.endpoint, b"endless", AUTH) as s:
            assert s.chunk() == b"tick"
        assert proc.closed.wait(10)  # GeneratorExit at its next yield
        assert proc.ticks < ENDLESS_BOUND
        assert rt.wait_idle(10)
        _open_gates(proc)
        with RawStream(rt.endpoint, b"sync", AUTH) as again:  # the one worker serves again
            assert [again.chunk() for _ in range(4)] == [b"one", b"two\nlines", "three é".encode(), b""]


def test_a_stream_holds_its_worker_so_the_queue_fills_as_for_any_call() -> None:
    proc = Gated(worker_threads=1)
    with LocalRuntime(proc, service="demo", token=TOKEN, queue_size=0) as rt:
        with RawStream(rt.endpoint, b"sync", AUTH) as s:
            assert s.chunk() == b"one"
            with RawStream(rt.endpoint, b"sync", AUTH) as refused:
                assert (refused.status, refused.body()) == (450, b"instance queue is full")
            _open_gates(proc)


def test_first_chunk_later_than_keepalive_is_408_and_the_generator_is_closed() -> None:
    proc = Gated()
    with LocalRuntime(proc, service="demo", keepalive_ms=100) as rt, RawStream(rt.endpoint, b"late") as s:
        assert s.status == 408
        proc.gates[0].set()  # the first chunk comes after the 408: nobody takes it
        assert proc.closed.wait(10)
        assert rt.wait_idle(10)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_bearer_token_is_accepted_like_the_raw_token(scheme: str) -> None:
    with LocalRuntime(Gated, service="demo", token=TOKEN) as rt:
        ok = RawStream(rt.endpoint, b"fail-first", {"Authorization": f"{scheme} {TOKEN}"})
        wrong = RawStream(rt.endpoint, b"", {"Authorization": f"{scheme} not-the-token"})
        with ok, wrong:
            assert ok.status == 400  # past auth: the processor's own answer
            assert (wrong.status, wrong.body()) == (401, b"authorization failed: missing or wrong token")
