"""Our sync and async queue clients against the real local queue service over real sockets:
the async operations, ``watch`` with commits, at-least-once redelivery of what a closed watcher
left uncommitted, a runtime killed under a running watch (reconnect and resume: no gap and no
duplicate reaches the caller), and ``submit_many`` from the async client collecting every result."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from eas_client.queue import AsyncQueueClient, QueueClient
from tests.queue_server.conftest import TOKEN, Service
from tests.queue_server.serve_process import ServeProcess


@pytest.mark.asyncio
async def test_async_client_operations(service: Service) -> None:
    async with AsyncQueueClient(service.rt.base_url, token=TOKEN, queue="svc/sink") as sink:
        first, rid = await sink.put(b"one", tags={"kind": "x"})
        second, _ = await sink.put(b"two")
        assert (first, second, len(rid)) == (1, 2, 36)
        [frame] = await sink.get(request_id=rid, auto_delete=False, timeout=1)
        assert (frame.index, frame.data, frame.tags["kind"]) == (first, b"one", "x")
        await sink.negative([first], "Model.Failed", "try again")
        assert await sink.count() == 2
        await sink.commit([first, second])
        assert await sink.count() == 0
        await sink.end()
        assert (await sink.attributes())["meta.state"] == "Ended"


def test_sync_watch_delivers_in_order_and_commit_frees_the_window(service: Service) -> None:
    with QueueClient(service.rt.base_url, token=TOKEN, queue="svc/sink") as sink:
        puts = [sink.put(f"{i}".encode()) for i in range(6)]
        with sink.watch(window=2) as frames:
            got = []
            for frame in frames:
                got.append((frame.index, frame.data, frame.tags["requestId"]))
                sink.commit([frame.index])  # window 2: without commits the third never comes
                if len(got) == 6:
                    break
        assert got == [(ix, f"{i}".encode(), rid) for i, (ix, rid) in enumerate(puts)]
        assert sink.count() == 0


@pytest.mark.asyncio
async def test_uncommitted_items_come_again_after_the_watcher_goes_away(service: Service) -> None:
    async with AsyncQueueClient(service.rt.base_url, token=TOKEN, queue="svc/sink") as sink:
        indexes = [(await sink.put(f"{i}".encode()))[0] for i in range(3)]
        async with sink.watch(window=3) as first:
            seen = [(await first.__anext__()).index for _ in range(3)]
            await sink.commit([seen[0]])
        assert seen == indexes
        async with sink.watch(window=3) as second:
            again = [(await second.__anext__()).index for _ in range(2)]
        assert again == indexes[1:]  # delivered before, never committed: at least once
        assert await sink.count() == 2


def test_watch_resumes_without_gap_or_duplicate_after_the_runtime_is_killed(tmp_path: Path) -> None:
    runtime = ServeProcess(tmp_path / "q.db", workers=1).start()
    killed = threading.Event()
    try:
        with QueueClient(runtime.endpoint + "/sink", token=TOKEN, max_reconnects=50) as sink:
            first = [sink.put(f"a{i}".encode())[0] for i in range(5)]
            got: list[tuple[int, bytes]] = []
            with sink.watch(window=5) as frames:
                for frame in frames:
                    got.append((frame.index, frame.data))
                    if len(got) <= 3:
                        sink.commit([frame.index])  # 4 and 5 stay uncommitted: redelivered
                    if len(got) == 5 and not killed.is_set():
                        runtime.kill()  # the runtime side drops the WebSocket
                        killed.set()
                        runtime = ServeProcess(runtime.db, port=runtime.port, workers=1).start()
                        later = [sink.put(f"b{i}".encode())[0] for i in range(3)]
                    if len(got) == 8:
                        break
        assert killed.is_set()
        assert [ix for ix, _ in got] == first + later  # nothing twice, nothing skipped
        assert [d for _, d in got] == [b"a0", b"a1", b"a2", b"a3", b"a4", b"b0", b"b1", b"b2"]
    finally:
        runtime.stop()


@pytest.mark.asyncio
async def test_async_submit_many_collects_every_result(service: Service) -> None:
    rows = [f"row-{i}".encode() for i in range(200)]
    async with AsyncQueueClient(service.rt.base_url, token=TOKEN, queue="svc") as client:
        done = [d async for d in client.submit_many(rows, concurrency=32, timeout=2)]
    assert len(done) == 200
    assert [d.error for d in done if d.error is not None] == []
    assert sorted(d.position for d in done) == list(range(200))
    assert len({d.request_id for d in done}) == 200
    assert all(d.result is not None and d.result.data == rows[d.position].upper() for d in done)


@pytest.mark.asyncio
async def test_async_watch_resumes_after_the_runtime_is_killed(tmp_path: Path) -> None:
    runtime = ServeProcess(tmp_path / "q.db", workers=1).start()
    try:
        async with AsyncQueueClient(runtime.endpoint + "/sink", token=TOKEN, max_reconnects=50) as sink:
            first = [(await sink.put(f"a{i}".encode()))[0] for i in range(4)]
            got: list[int] = []
            later: list[int] = []
            async with sink.watch(window=4) as frames:
                async for frame in frames:
                    got.append(frame.index)
                    if len(got) == 2:
                        await sink.commit(got)  # 3 and 4 were sent and stay uncommitted
                    if len(got) == 4 and not later:
                        runtime.kill()  # blocking for a moment is fine: nothing else runs here
                        runtime = ServeProcess(runtime.db, port=runtime.port, workers=1).start()
                        later = [(await sink.put(f"b{i}".encode()))[0] for i in range(2)]
                    if len(got) == 6:
                        break
        assert got == first + later
    finally:
        runtime.stop()
