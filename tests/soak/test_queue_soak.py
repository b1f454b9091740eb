"""Queue soak: inputs put into `eas serve --async` on a SQLite store while a watcher collects the
results from the sink, with the runtime killed (SIGKILL) and restarted twice on the same file.
Every acknowledged input yields exactly one result (one sink index per request id), 0 lost.

`make test` runs QUEUE_SOAK_ITEMS=2000; `make soak-queue` runs 10,000.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.queue_server.helpers import Queue, recv_frame
from tests.queue_server.serve_process import TOKEN, ServeProcess

ITEMS = int(os.environ.get("QUEUE_SOAK_ITEMS", "2000"))
KILLS = 2
DEADLINE_S = 60.0 + ITEMS * 0.03


class Collector:
    """The watcher: records every result frame by request id and commits it; reconnects after
    the runtime is killed (redelivered frames are expected then, and counted)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.results: dict[str, set[int]] = {}
        self.data: dict[str, bytes] = {}
        self.frames = 0
        self.reconnects = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        sink = Queue(self.endpoint + "/sink", TOKEN)
        try:
            while not self.stop.is_set():
                try:
                    with sink.watch(_window_=64) as ws:
                        while not self.stop.is_set():
                            try:
                                frame = recv_frame(ws, timeout=0.5)
                            except TimeoutError:
                                continue
                            with self.lock:
                                self.frames += 1
                                rid = frame.tags["requestId"]
                                self.results.setdefault(rid, set()).add(frame.index)
                                self.data[rid] = frame.data
                            sink.commit(frame.index)
                except (ConnectionClosed, InvalidHandshake, OSError, httpx.TransportError, TimeoutError):
                    self.reconnects += 1
                    time.sleep(0.1)
        finally:
            sink.close()


def _put(inq: Queue, data: bytes, n: int, attempts: dict[int, int]) -> str:
    while True:
        attempts[n] = attempts.get(n, 0) + 1
        try:
            resp = inq.call("POST", {"n": n}, data)
        except httpx.TransportError:
            time.sleep(0.05)  # the runtime is down: this put may or may not have landed
            continue
        if resp.status_code == 200:
            return str(resp.headers["X-Eas-Queueservice-Request-Id"])
        time.sleep(0.05)


def test_queue_soak_with_kills(tmp_path: Path) -> None:
    db = tmp_path / "soak.db"
    runtime = ServeProcess(db, workers=4).start()
    collector = Collector(runtime.endpoint)
    collector.thread.start()
    inq = Queue(runtime.endpoint, TOKEN)
    acked: dict[str, int] = {}
    attempts: dict[int, int] = {}
    kill_at = {ITEMS * (k + 1) // (KILLS + 1) for k in range(KILLS)}
    start = time.monotonic()
    try:
        for n in range(ITEMS):
            if n in kill_at:
                runtime.kill()
                runtime = ServeProcess(db, port=runtime.port, workers=4).start()
            acked[_put(inq, f"soak-{n}".encode(), n, attempts)] = n
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            with collector.lock:
                if set(acked) <= set(collector.results):
                    break
            time.sleep(0.1)
    finally:
        collector.stop.set()
        collector.thread.join(10)
        inq.close()
        runtime.stop()
    took = time.monotonic() - start
    with collector.lock:
        results = dict(collector.results)
        missing = [rid for rid in acked if rid not in results]
        doubled = {rid: sorted(ix) for rid, ix in results.items() if len(ix) > 1}
        wrong = [rid for rid, n in acked.items() if collector.data.get(rid) != f"SOAK-{n}".encode()]
    extra = set(results) - set(acked)  # puts that landed while their answer was lost in a kill
    print(
        f"\nqueue soak: {ITEMS} inputs, {KILLS} kills, {took:.1f} s; {collector.frames} frames for "
        f"{len(results)} results ({collector.frames - sum(len(i) for i in results.values())} "
        f"redelivered), {len(extra)} unacknowledged puts that landed, {collector.reconnects} reconnects"
    )
    assert missing == [], f"{len(missing)} acknowledged inputs have no result"
    assert doubled == {}, "an input yielded more than one result"
    assert wrong == []
    assert len(extra) <= sum(a - 1 for a in attempts.values())
