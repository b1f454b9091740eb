"""The project's own queue clients (eas_client.queue, spec §15) against `eas serve --async`:
each operation, and the submit-and-collect workflow (QUEUE-14) through the processor."""

from __future__ import annotations

import pytest

from eas_client.queue import AsyncQueueClient, QueueClient
from tests.queue_server.conftest import TOKEN, Service


def test_sync_client_operations(service: Service) -> None:
    base = service.rt.base_url
    with QueueClient(base, token=TOKEN, queue="svc/sink") as sink:
        index, rid = sink.put(b"abc", tags={"kind": "x"}, priority=1)
        assert (index, len(rid)) == (1, 36)
        [frame] = sink.get(request_id=rid, auto_delete=False, timeout=1)
        assert (frame.index, frame.data, frame.tags["kind"]) == (1, b"abc", "x")
        sink.negative([index], "Model.Failed", "try again")
        assert sink.search(index)["index"] == index
        assert sink.count() == 1
        assert sink.attributes()["meta.name"] == "svc/sink"
        sink.commit([index])
        assert sink.count() == 0
        sink.put(b"1")
        second, _ = sink.put(b"2")
        sink.truncate(second)
        assert [f.data for f in sink.get(length=5, timeout=0)] == [b"2"]
        sink.delete([second, 99])  # deleting what is not there succeeds
        assert sink.get(timeout=0.3) == []
        sink.end()
        assert sink.attributes()["meta.state"] == "Ended"


def test_submit_many_collects_every_result(service: Service) -> None:
    rows = [f"row-{i}".encode() for i in range(100)]
    with QueueClient(service.rt.base_url, token=TOKEN, queue="svc") as client:
        done = list(client.submit_many(rows, concurrency=16, timeout=2))
    assert len(done) == 100
    assert all(d.error is None for d in done)
    assert sorted(d.result.data for d in done if d.result is not None) == sorted(r.upper() for r in rows)


@pytest.mark.asyncio
async def test_async_client_put_and_get(service: Service) -> None:
    async with AsyncQueueClient(service.rt.base_url, token=TOKEN, queue="svc/sink") as sink:
        index, rid = await sink.put(b"async")
        [frame] = await sink.get(request_id=rid, timeout=1)
        assert (frame.index, frame.data) == (index, b"async")
