"""`eas serve app.py --async --queue-store sqlite:…` in a child process that tests kill with SIGKILL
and start again on the same port and the same file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

APP = Path(__file__).with_name("queue_app.py")
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "queue-token"
START_TIMEOUT_S = 30.0


class ServeProcess:
    def __init__(self, db: Path, port: int = 0, sleep_s: float = 0.0, workers: int = 4) -> None:
        self.db, self.port, self.sleep_s, self.workers = db, port, sleep_s, workers
        self.proc: subprocess.Popen[str] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/predict/svc"

    def start(self) -> ServeProcess:
        cmd = [sys.executable, "-m", "eas_client", "serve", str(APP), "--async", "--service", "svc"]
        cmd += ["--queue-store", f"sqlite:{self.db}", "--port", str(self.port), "--token", TOKEN]
        cmd += ["--workers", str(self.workers)]
        env = {**os.environ, "QUEUE_TEST_SLEEP": str(self.sleep_s), "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()  # a runtime that never came up is not left running after the test
            raise
        return self

    def _wait_ready(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        line = self.proc.stdout.readline()  # printed once the port is bound
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, f"eas serve did not start: {line!r}"
        self.port = int(found.group(1))
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("eas serve did not answer /health")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill()
