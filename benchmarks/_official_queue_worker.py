"""Runs inside benchmarks/.work/venv-official (the official `eas-prediction` QueueClient), never
imported. One measurement per process, printed as one JSON line:

    python _official_queue_worker.py 127.0.0.1:PORT SERVICE TOKEN put|e2e ITEMS THREADS

``put``: ITEMS puts into ``SERVICE/sink`` from THREADS threads (the client is blocking, so threads
are how it overlaps calls). ``e2e``: ITEMS puts into ``SERVICE`` while a watcher on the sink (auto
commit) records when each request id's result arrives; latency is put start → result watched.
"""

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from eas_prediction import QueueClient  # type: ignore[import-not-found]


def client(host: str, name: str, token: str) -> "QueueClient":
    queue = QueueClient(host, name)
    queue.set_token(token)
    queue.init()
    return queue


def main() -> None:
    host, service, token, mode = sys.argv[1:5]
    items, threads = int(sys.argv[5]), int(sys.argv[6])
    clock = time.perf_counter_ns
    inq = client(host, service if mode == "e2e" else service + "/sink", token)
    payload = b"2 105"
    started: dict[str, int] = {}
    arrived: dict[str, int] = {}
    all_in = threading.Event()

    def watch() -> None:
        sink = client(host, service + "/sink", token)
        watcher = sink.watch(0, 256, auto_commit=True)
        for frame in watcher.run():
            arrived[frame.tags["requestId"]] = clock()
            if len(arrived) >= items:
                break
        all_in.set()
        watcher.close()

    def put(_: int) -> None:
        t0 = clock()
        _, rid = inq.put(payload)
        started[rid] = t0

    if mode == "e2e":
        threading.Thread(target=watch, daemon=True).start()
        time.sleep(0.5)  # the watcher connects before the first put
    begin = clock()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, range(items)))
    put_s = (clock() - begin) / 1e9
    lat = []
    if mode == "e2e":
        all_in.wait(300)
        lat = [arrived[r] - t for r, t in started.items() if r in arrived]
    total_s = (max(arrived.values(), default=begin) - begin) / 1e9
    print(json.dumps({"items": items, "put_s": put_s, "total_s": total_s, "lat_ns": lat}), flush=True)


if __name__ == "__main__":
    main()
