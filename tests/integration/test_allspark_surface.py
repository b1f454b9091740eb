"""The rest of the allspark surface a real processor file uses, run as `python app.py` in a
subprocess: constructor keywords (endpoint with a trailing slash, io_threads, pass-through),
default_properties() honoured, get_model_path(), JSON bodies and 408 past rpc.keepalive."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

APP = """
import time

import allspark

allspark.default_properties().put(b"rpc.keepalive", b"150")
allspark.default_properties().put("rpc.max_queue_size", 8)


class MyProcessor(allspark.BaseProcessor):
    def initialize(self):
        self.options = (self.worker_threads, self.io_threads, self.extra_options)

    def process(self, data):
        if data == b"model":
            return self.get_model_path(), 0
        if data == b"options":
            return repr(self.options), 0
        if data == b"slow":
            time.sleep(0.4)
            return b"late", 0
        return {"echo": data.decode()}, 200


if __name__ == "__main__":
    runner = MyProcessor(worker_threads=3, worker_processes=1, endpoint="127.0.0.1:%d/", io_threads=4, x=1)
    runner.run()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: bytes) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read()


def test_endpoint_properties_and_model_path_of_a_processor_file(tmp_path: Path) -> None:
    port = _free_port()
    app = tmp_path / "app.py"
    app.write_text(APP % port)
    env = {**os.environ, "EAS_MODEL_PATH": str(tmp_path / "model")}
    proc = subprocess.Popen(
        [sys.executable, str(app)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        banner = proc.stdout.readline()
        assert banner == f"Service start successfully: http://127.0.0.1:{port}/api/predict/default\n", (
            banner + proc.stderr.read()
        )
        url = f"http://127.0.0.1:{port}/api/predict/anything"
        assert _post(url, b"hi") == (200, b'{"echo": "hi"}')
        assert _post(url, b"model") == (200, str(tmp_path / "model").encode())
        assert _post(url, b"options") == (200, b"(3, 4, {'x': 1})")
        status, body = _post(url, b"slow")
        assert (status, body) == (408, b"request timed out after 150 ms (rpc.keepalive)")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(timeout=30) == 0
        finally:
            for stream in (proc.stdout, proc.stderr):
                if stream:
                    stream.close()
