"""Run by test_official_client.py with the official eas-prediction package (its own venv: it pins
protobuf 3.20), never imported by the test suite. Prints one JSON line of findings.

    python official_queue_script.py 127.0.0.1:PORT TOKEN ok|wrong-token
"""

import json
import sys
import time

from eas_prediction import QueueClient  # type: ignore[import-not-found]


def client(host: str, name: str, token: str) -> "QueueClient":
    queue = QueueClient(host, name)
    queue.set_token(token)
    queue.init()
    return queue


def main() -> None:
    host, token, mode = sys.argv[1:4]
    inq, sink = client(host, "svc", token), client(host, "svc/sink", token)
    if mode == "wrong-token":
        watcher = sink.watch(0, 5)
        try:
            next(iter(watcher.run()))
        except Exception as exc:  # websocket-client's bad-status error, raised on the first connect
            print(json.dumps({"refused": f"{type(exc).__name__}: {exc}"}))
        return
    out: dict[str, object] = {}
    index, rid = sink.put(b"abc")
    out["put"] = [index, len(rid)]
    out["get_by_request_id"] = [f.data.decode() for f in sink.get(request_id=rid)]
    index, _ = sink.put(b"def")
    out["get_by_index"] = [f.data.decode() for f in sink.get(index=index)]
    attrs = sink.attributes()
    out["attributes"] = {k: attrs[k] for k in ("meta.name", "stream.length")}
    start = time.monotonic()
    out["empty_get"] = [len(sink.get()), round(time.monotonic() - start, 1)]

    # At-least-once: what a watcher received and did not commit comes again after close().
    held = [int(sink.put(f"held-{i}".encode())[0]) for i in range(3)]
    watcher = sink.watch(0, 5, auto_commit=False)
    first = []
    for frame in watcher.run():
        first.append(frame.index)
        if len(first) == 3:
            break
    watcher.close()
    watcher = sink.watch(0, 5, auto_commit=False)
    again = []
    for frame in watcher.run():
        again.append(frame.index)
        sink.commit(frame.index)
        if len(again) == 3:
            break
    watcher.close()
    out["redelivered"] = [first == held, sorted(again) == held]

    # The asynchronous-inference workflow: inputs in, every result watched from the sink.
    count = 50
    sent = {inq.put(f"item-{i}".encode())[1] for i in range(count)}
    results: dict[str, bytes] = {}
    watcher = sink.watch(0, 5, auto_commit=False)
    for frame in watcher.run():
        results[frame.tags["requestId"]] = frame.data
        sink.commit(frame.index)
        if len(results) == count:
            break
    watcher.close()
    out["workflow"] = [set(results) == sent, all(v.startswith(b"ITEM-") for v in results.values())]
    out["sink_left"] = sink.attributes()["stream.length"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
