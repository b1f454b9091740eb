"""A processor of known capacity, for back-pressure tests and benchmarks: it echoes the request
body after holding its worker thread for ``EAS_PROCESS_DELAY_MS`` milliseconds (default 5).

With app.json's 2 worker threads and a queue of 4, the service completes at most
2 / 0.005 s = 400 requests a second and answers 450 to a seventh request in flight:

    eas serve examples/capacity/app.py --app-json examples/capacity/app.json
    EAS_PROCESS_DELAY_MS=20 eas serve examples/capacity/app.py --app-json examples/capacity/app.json
"""

import os
import time

import allspark

DELAY_S = float(os.environ.get("EAS_PROCESS_DELAY_MS", "5")) / 1000


class CapacityProcessor(allspark.BaseProcessor):
    def process(self, data):
        time.sleep(DELAY_S)  # a worker busy for a fixed time: capacity = workers / delay
        return data, 200


if __name__ == "__main__":
    CapacityProcessor(worker_threads=2).run()
