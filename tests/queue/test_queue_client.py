"""The queue operations and submit-and-collect over a real socket (protocol.md §15), both twins."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

import eas_client
from eas_client.queue import AsyncQueueClient, Collected, QueueClient

from .app import TOKEN, QueueState, serve


@pytest.fixture
def state() -> QueueState:
    return QueueState(answer=True)


@pytest.fixture
def origin(state: QueueState) -> Iterator[str]:
    with serve(state) as url:
        yield url


def _ops(client: Any) -> dict[str, Any]:
    index, rid = client.put(b"2 105", tags={"model": "m1"})
    got = client.get(index=0, length=5, timeout=0.2, auto_delete=False)
    sink_count = client.sink().count()
    client.commit([index])
    return {"put": (index, rid), "got": got, "sink": sink_count, "attrs": client.attributes()}


async def _ops_async(client: Any) -> dict[str, Any]:
    index, rid = await client.put(b"2 105", tags={"model": "m1"})
    got = await client.get(index=0, length=5, timeout=0.2, auto_delete=False)
    sink = client.sink()
    sink_count = await sink.count()
    await client.commit([index])
    return {"put": (index, rid), "got": got, "sink": sink_count, "attrs": await client.attributes()}


@pytest.mark.parametrize("twin", ["sync", "async"])
def test_put_get_commit_round_trip(twin: str, origin: str, state: QueueState) -> None:
    if twin == "sync":
        with QueueClient(origin, TOKEN, queue="demo") as client:
            out = _ops(client)
    else:

        async def run() -> dict[str, Any]:
            async with AsyncQueueClient(origin, TOKEN, queue="demo") as client:
                return await _ops_async(client)

        out = asyncio.run(run())
    assert out["put"] == (1, "rid-1")
    [frame] = out["got"]
    assert (frame.index, frame.data, frame.tags) == (1, b"2 105", {"model": "m1", "requestId": "rid-1"})
    assert out["sink"] == 1
    assert state.committed == [1] and state.items["demo"] == []
    assert out["attrs"] == {"meta.name": "demo", "stream.length": "0"}


def test_bad_input_is_refused_before_any_request(origin: str, state: QueueState) -> None:
    with QueueClient(origin, TOKEN, queue="demo") as client:
        with pytest.raises(eas_client.ConfigError, match="reserved"):
            client.put(b"x", tags={"_priority_": "1"})
        with pytest.raises(eas_client.ConfigError, match=">= 1"):
            client.commit([0])
        with pytest.raises(eas_client.ConfigError, match="negative code"):
            client.negative([1], "not valid")
    assert state.items.get("demo", []) == [] and state.committed == []


def test_a_wrong_token_is_an_authentication_error_without_the_token(origin: str) -> None:
    with QueueClient(origin, "wrong-token-123456", queue="demo") as client:
        with pytest.raises(eas_client.AuthenticationError) as info:
            client.count()
    assert "wrong-token-123456" not in str(info.value) + repr(client)


def test_default_uid_is_a_uuid_kept_for_the_client(origin: str) -> None:
    import uuid

    with QueueClient(origin, TOKEN, queue="demo") as client:
        assert str(uuid.UUID(client.uid, version=4)) == client.uid and client.gid == "eas"
        assert client.sink().uid == client.uid


def test_submit_many_collects_one_result_per_input_sync(origin: str, state: QueueState) -> None:
    rows = [f"row-{i}".encode() for i in range(20)]
    ticks: list[tuple[int, int | None]] = []
    with QueueClient(origin, TOKEN, queue="demo") as client:
        done = list(
            client.submit_many(rows, concurrency=4, timeout=1, progress=lambda n, t: ticks.append((n, t)))
        )
    _check_collected(done, rows)
    assert ticks[-1] == (20, 20)


def test_submit_many_collects_one_result_per_input_async(origin: str) -> None:
    rows = [f"row-{i}".encode() for i in range(20)]

    async def run() -> list[Collected]:
        async with AsyncQueueClient(origin, TOKEN, queue="demo") as client:
            return [c async for c in client.submit_many(rows, concurrency=4, timeout=1)]

    _check_collected(asyncio.run(run()), rows)


def _check_collected(done: list[Collected], rows: list[bytes]) -> None:
    assert sorted(c.position for c in done) == list(range(len(rows)))  # none lost, none twice
    for c in done:
        assert c.error is None and c.result is not None
        assert c.result.data == rows[c.position].upper()
        assert c.result.tags["requestId"] == c.request_id


def test_submit_many_reports_a_result_that_never_comes(origin: str, state: QueueState) -> None:
    state.answer = False
    with QueueClient(origin, TOKEN, queue="demo") as client:
        [done] = list(client.submit_many([b"x"], result_timeout=0.3, timeout=0.2))
    assert isinstance(done.error, eas_client.DeadlineExceededError) and done.request_id == "rid-1"
    with QueueClient(origin, TOKEN, queue="demo") as client, pytest.raises(eas_client.ConfigError):
        list(client.submit_many([b"x"], concurrency=0))


QUEUE_METHODS = [
    "attributes", "close", "commit", "config", "count", "delete", "end", "get", "gid", "negative",
    "ping_interval", "ping_timeout", "max_reconnects", "put", "queue_url", "search", "sink",
    "submit_many", "truncate", "uid", "watch",
]  # fmt: skip


def test_both_queue_twins_have_the_same_public_surface() -> None:
    for cls in (QueueClient, AsyncQueueClient):
        client = cls("http://127.0.0.1:9", TOKEN, queue="demo")
        assert sorted(m for m in dir(client) if not m.startswith("_")) == sorted(QUEUE_METHODS)
        assert "***" in repr(client.config) and TOKEN not in repr(client) + repr(vars(client))
