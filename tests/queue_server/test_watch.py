"""The WebSocket watch: one binary frame per DataFrame, the window of uncommitted items,
index_only, auto_commit, tag filters, and at-least-once redelivery when a watcher vanishes or
its lease runs out."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed

from tests.queue_server.conftest import Service
from tests.queue_server.helpers import abort, recv_frame


def _no_frame(ws: object, timeout: float = 0.3) -> bool:
    try:
        ws.recv(timeout=timeout)  # type: ignore[attr-defined]
    except TimeoutError:
        return True
    return False


def test_handshake_has_no_subprotocol_or_extension(service: Service) -> None:
    with service.sink.watch() as ws:
        assert ws.response is not None
        headers = ws.response.headers
        assert "Sec-WebSocket-Protocol" not in headers
        assert "Sec-WebSocket-Extensions" not in headers
        assert service.sink.attributes()["consumers.status.total"] == "1"


def test_window_limits_uncommitted_frames(service: Service) -> None:
    indexes = [service.sink.put(f"{i}".encode())[0] for i in range(5)]
    with service.sink.watch(_window_=2) as ws:
        got = [recv_frame(ws).index, recv_frame(ws).index]
        assert got == indexes[:2]
        assert _no_frame(ws)  # the window is full until a commit
        assert service.sink.commit(got[0]).status_code == 200
        assert recv_frame(ws).index == indexes[2]
        assert _no_frame(ws)


def test_watch_follows_new_items_and_filters_tags(service: Service) -> None:
    with service.sink.watch(_window_=5, kind="a") as ws:
        service.sink.put(b"b", kind="b")
        index, rid = service.sink.put(b"a", kind="a")
        frame = recv_frame(ws)
    assert (frame.index, frame.data, frame.tags) == (index, b"a", {"kind": "a", "requestId": rid})


def test_index_only_and_start_index(service: Service) -> None:
    first, _ = service.sink.put(b"one")
    second, rid = service.sink.put(b"two")
    with service.sink.watch(_index_=second, _index_only_="true") as ws:
        frame = recv_frame(ws)
    assert (frame.index, frame.data, frame.tags) == (second, b"", {"requestId": rid})
    assert first < second


def test_auto_commit_removes_items_as_sent(service: Service) -> None:
    for i in range(3):
        service.sink.put(f"{i}".encode())
    with service.sink.watch(_window_=1, _auto_commit_="true") as ws:
        assert [recv_frame(ws).data for _ in range(3)] == [b"0", b"1", b"2"]
    assert service.sink.length() == 0


def test_uncommitted_items_are_redelivered_after_a_watcher_vanishes(service: Service) -> None:
    indexes = [service.sink.put(f"{i}".encode())[0] for i in range(3)]
    with service.sink.watch(_window_=3) as first:
        assert [recv_frame(first).index for _ in range(3)] == indexes
        assert service.sink.commit(indexes[0]).status_code == 200
        abort(first)  # no close frame, as the official client's close()
    with service.sink.watch(_window_=3) as second:
        again = sorted(recv_frame(second).index for _ in range(2))
        assert again == indexes[1:]
        assert _no_frame(second)


def test_a_second_watcher_shares_the_work(service: Service) -> None:
    with service.sink.watch(_window_=1) as a, service.sink.watch(_window_=1) as b:
        service.sink.put(b"1")
        service.sink.put(b"2")
        got = {recv_frame(a).data, recv_frame(b).data}
    assert got == {b"1", b"2"}


@pytest.mark.parametrize("service", [{"queue_lease_s": 0.5}], indirect=True)
def test_a_watcher_lease_times_out_and_the_item_comes_again(service: Service) -> None:
    index, _ = service.sink.put(b"x")
    with service.sink.watch(_window_=1) as ws:
        assert recv_frame(ws).index == index
        assert recv_frame(ws, timeout=5).index == index  # not committed within the lease
        assert service.sink.commit(index).status_code == 200
        assert _no_frame(ws, 1.0)


def test_end_closes_watchers_once_drained(service: Service) -> None:
    service.sink.put(b"last")
    with service.sink.watch(_window_=1, _auto_commit_="true") as ws:
        assert recv_frame(ws).data == b"last"
        assert service.sink.call("POST", {"_eos_": "true"}).status_code == 200
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)


def test_plain_http_watch_streams_length_prefixed_frames(service: Service) -> None:
    from eas_client.server.queue.codec import decode_frame

    first, _ = service.sink.put(b"one")
    second, _ = service.sink.put(b"two")
    query = {"_watch_": "true", "_index_": "0", "_window_": "1"}
    with service.sink.http.stream(
        "GET", service.sink.url, params=query, headers=service.sink.headers
    ) as resp:
        assert resp.status_code == 200
        chunks = resp.iter_raw()
        buf = b""
        frames: list[int] = []
        while len(frames) < 2:
            while len(buf) < 4 or len(buf) < 4 + int.from_bytes(buf[:4], "big"):
                buf += next(chunks)
            size = int.from_bytes(buf[:4], "big")
            frame = decode_frame(buf[4 : 4 + size])
            buf = buf[4 + size :]
            frames.append(frame.index)
            assert service.sink.commit(frame.index).status_code == 200  # window 1: frees the slot
    assert frames == [first, second]
