"""The processor that `eas serve --async` runs in the kill-and-restart tests (a separate process).
QUEUE_TEST_SLEEP seconds per call (default 0) keeps inputs in flight when the process is killed."""

import os
import time

import allspark


class UpperProcessor(allspark.BaseProcessor):
    def process(self, data: bytes) -> tuple[bytes, int]:
        time.sleep(float(os.environ.get("QUEUE_TEST_SLEEP", "0")))
        return data.upper(), 200
