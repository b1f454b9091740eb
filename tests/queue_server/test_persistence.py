"""`--queue-store sqlite:PATH`: a runtime killed with SIGKILL and started again on the same file
loses no acknowledged put and no uncommitted result; inputs whose process() never finished are
processed again, each yielding exactly one result."""

from __future__ import annotations

from pathlib import Path

from tests.queue_server.helpers import Queue, recv_frame
from tests.queue_server.serve_process import TOKEN, ServeProcess


def test_sigkill_and_restart_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "queues.db"
    # One worker that takes 60 s per call: at the kill, one input is inside process(), the rest wait.
    first = ServeProcess(db, sleep_s=60.0, workers=1).start()
    try:
        inq, sink = Queue(first.endpoint, TOKEN), Queue(first.endpoint + "/sink", TOKEN)
        sent = {inq.put(f"in-{i}".encode())[1] for i in range(20)}
        direct = [sink.put(f"direct-{i}".encode())[0] for i in range(10)]
        with sink.watch(_window_=5) as ws:
            delivered = [recv_frame(ws).index for _ in range(5)]
            assert sink.commit(*delivered[:2]).status_code == 200
            first.kill()  # delivered[2:] were handed out and never committed
        inq.close()
        sink.close()
    finally:
        first.stop()

    second = ServeProcess(db, port=first.port, sleep_s=0.0).start()
    try:
        sink = Queue(second.endpoint + "/sink", TOKEN)
        assert sink.attributes()["meta.backend"] == "sqlite"
        by_request: dict[str, list[int]] = {}
        kept: list[int] = []
        with sink.watch(_window_=50) as ws:
            while len(kept) < 8 or len(by_request) < 20:
                frame = recv_frame(ws)
                if frame.data.startswith(b"IN-"):
                    by_request.setdefault(frame.tags["requestId"], []).append(frame.index)
                else:
                    kept.append(frame.index)
                assert sink.commit(frame.index).status_code == 200
        assert sorted(kept) == direct[2:]  # the 3 delivered-uncommitted ones among them
        assert set(by_request) == sent
        assert all(len(indexes) == 1 for indexes in by_request.values())  # one result per input
        inq = Queue(second.endpoint, TOKEN)
        assert inq.length() == 0
        assert sink.length() == 0
        inq.close()
        sink.close()
    finally:
        second.stop()
