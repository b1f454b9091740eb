"""A processor of known capacity, for back-pressure tests and benchmarks: it echoes the request
body after holding its worker thread for ``EAS_PROCESS_DELAY_MS`` milliseconds (default 5), and
with ``EAS_RATE_LIMIT`` set answers 429 to calls beyond that many a second (a quota, as EAS's
rate limit: a token bucket holding a tenth of a second's worth).

With app.json's 2 worker threads and a queue of 4, the service completes at most
2 / 0.005 s = 400 requests a second and answers 450 to a seventh request in flight:

    eas serve examples/capacity/app.py --app-json examples/capacity/app.json
    EAS_PROCESS_DELAY_MS=20 EAS_RATE_LIMIT=50 eas serve examples/capacity/app.py \
        --app-json examples/capacity/app.json      # 100/s of workers, a quota of 50/s
"""

import os
import threading
import time

import allspark


class RateLimit:
    """Calls allowed per second; a tenth of a second's worth (at least one) may come at once."""

    def __init__(self, rate):
        self.rate = rate
        self.burst = max(1.0, rate / 10)
        self.tokens = self.burst
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def allow(self):
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


class CapacityProcessor(allspark.BaseProcessor):
    def initialize(self):
        self.delay = float(os.environ.get("EAS_PROCESS_DELAY_MS", "5")) / 1000
        rate = float(os.environ.get("EAS_RATE_LIMIT", "0"))
        self.quota = RateLimit(rate) if rate > 0 else None

    def process(self, data):
        if self.quota is not None and not self.quota.allow():
            return b"rate limit exceeded", 429
        time.sleep(self.delay)  # a worker busy for a fixed time: capacity = workers / delay
        return data, 200


if __name__ == "__main__":
    CapacityProcessor(worker_threads=2).run()
