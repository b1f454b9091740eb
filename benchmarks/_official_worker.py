"""Runs inside .venv-official (the official `eas-prediction` SDK, shared with the tests), never imported.

Reads one command per line on stdin, ``<warmup> <calls>``, times that many sequential
``PredictClient.predict`` calls and prints one JSON line ``{"seconds", "calls", "lat_ns"}``; so the
parent can interleave this contender with the in-process ones round by round. EOF ends it.
"""

import gc
import json
import sys
import time

from eas_prediction import PredictClient, StringRequest  # type: ignore[import-not-found]


def main() -> None:
    host, service, token = sys.argv[1], sys.argv[2], sys.argv[3]
    client = PredictClient(host, service)  # the gateway form: "127.0.0.1:PORT" + service name
    client.set_token(token)
    client.set_retry_count(1)  # no retries: a failure must show, not be hidden in the timing
    client.init()
    request = StringRequest("2 105")
    if client.predict(request).response_data != b"True":
        raise SystemExit("unexpected response from the target")
    print(json.dumps({"ready": True}), flush=True)
    clock = time.perf_counter_ns
    for line in sys.stdin:
        warmup, calls = (int(v) for v in line.split())
        for _ in range(warmup):
            client.predict(request)
        lat = [0] * calls
        gc.collect()
        start = clock()
        for i in range(calls):
            t0 = clock()
            client.predict(request)
            lat[i] = clock() - t0
        seconds = (clock() - start) / 1e9
        print(json.dumps({"seconds": seconds, "calls": calls, "lat_ns": lat}), flush=True)
    client.destroy()


if __name__ == "__main__":
    main()
