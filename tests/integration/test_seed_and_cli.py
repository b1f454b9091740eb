"""A processor file in the seed tutorial's style runs unchanged (`python app.py`, `eas serve`), and
the `eas` CLI serves, calls and scaffolds. Every server is a real subprocess on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from eas_client import EASClient

# The local-test processor of the EAS tutorial, as users write it: status 0, str body, no endpoint.
SEED_APP = '''# -*- coding: utf-8 -*-
import allspark


class MyProcessor(allspark.BaseProcessor):
    """ MyProcessor is a example
        you can send mesage like this to predict
        curl -v http://127.0.0.1:8080/api/predict/service_name -d '2 105'
    """
    def initialize(self):
        """ load module, executed once at the start of the service
         do service intialization and load models in this function.
        """
        self.module = {'w0': 100, 'w1': 2}

    def pre_proccess(self, data):
        """ data format pre process
        """
        x, y = data.split(b' ')
        return int(x), int(y)

    def post_process(self, data):
        """ proccess after process
        """
        return bytes(data, encoding='utf8')

    def process(self, data):
        """ process the request data
        """
        x, y = self.pre_proccess(data)
        w0 = self.module['w0']
        w1 = self.module['w1']
        y1 = w1 * x + w0
        if y1 >= y:
            return self.post_process("False"), 200
        else:
            return self.post_process("True"), 200


if __name__ == '__main__':
    # parameter worker_threads indicates concurrency of processing
    runner = MyProcessor(worker_threads=10)
    runner.run()
'''
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serving(cmd: list[str], env: dict[str, str] | None = None) -> Iterator[str]:
    """Start a server process and yield its URL once it prints its banner (no sleeps)."""
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Service start successfully: "), line + (
            proc.stderr.read() if proc.stderr else ""
        )
        yield line.split(": ", 1)[1].strip()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        finally:
            for stream in (proc.stdout, proc.stderr):
                if stream:
                    stream.close()


@pytest.fixture
def seed_app(tmp_path: Path) -> Path:
    app = tmp_path / "app.py"
    app.write_text(SEED_APP)
    return app


def test_python_app_py_serves_the_unchanged_seed_file(seed_app: Path) -> None:
    port = _free_port()
    with _serving([sys.executable, str(seed_app)], {"EAS_SERVE_PORT": str(port)}) as url:
        assert url == f"http://127.0.0.1:{port}/api/predict/default"
        base = f"http://127.0.0.1:{port}"
        out = subprocess.run(["curl", "-s", f"{base}/test", "-d", "10 20"], capture_output=True, timeout=30)
        assert out.stdout == b"False"
        with EASClient(f"{base}/api/predict/service_name") as client:
            assert client.predict(b"2 105") == b"True"


def test_eas_serve_with_token_and_app_json(seed_app: Path, tmp_path: Path) -> None:
    app_json = tmp_path / "app.json"
    app_json.write_text('{"name": "seed", "metadata": {"rpc.keepalive": 2000}}')
    cmd = [
        sys.executable,
        "-m",
        "eas_client",
        "serve",
        str(seed_app),
        "--port",
        "0",
        "--token",
        "T0k3n-abcdef",
    ]
    with _serving([*cmd, "--app-json", str(app_json)]) as url:
        assert url.endswith("/api/predict/seed")
        curl = ["curl", "-s", url, "-H", "Authorization: T0k3n-abcdef", "-d", "2 105"]
        assert subprocess.run(curl, capture_output=True, timeout=30).stdout == b"True"
        predict = [
            sys.executable,
            "-m",
            "eas_client",
            "predict",
            url,
            "-d",
            "2 105",
            "--token",
            "T0k3n-abcdef",
        ]
        ok = subprocess.run(predict, capture_output=True, text=True, timeout=60)
        assert (ok.returncode, ok.stdout) == (0, "True\n")
        signed = subprocess.run([*predict, "--signed"], capture_output=True, text=True, timeout=60)
        assert (signed.returncode, signed.stdout) == (0, "True\n")
        bad = subprocess.run([*predict[:-1], "wrong-token"], capture_output=True, text=True, timeout=60)
        assert bad.returncode == 1
        assert bad.stderr.startswith("AuthenticationError: HTTP 401 from service seed")
        assert "T0k3n-abcdef" not in bad.stderr and "wrong-token" not in bad.stderr


def test_eas_init_scaffolds_a_project_that_serves(tmp_path: Path) -> None:
    target = tmp_path / "my_service"
    init = subprocess.run(
        [sys.executable, "-m", "eas_client", "init", str(target)], capture_output=True, timeout=60
    )
    assert init.returncode == 0
    assert sorted(p.name for p in target.iterdir()) == ["README.md", "app.json", "app.py"]
    again = subprocess.run(
        [sys.executable, "-m", "eas_client", "init", str(target)], capture_output=True, timeout=60
    )
    assert again.returncode == 1  # never overwrites
    cmd = [sys.executable, "-m", "eas_client", "serve", str(target / "app.py"), "--port", "0"]
    with _serving([*cmd, "--app-json", str(target / "app.json")]) as url:
        assert url.endswith("/api/predict/my-service")
        with EASClient(url) as client:
            assert client.predict(b"2 105") == b"True"


def test_eas_predict_reads_a_file(seed_app: Path, tmp_path: Path) -> None:
    body = tmp_path / "body.txt"
    body.write_bytes(b"2 105")
    with _serving([sys.executable, "-m", "eas_client", "serve", str(seed_app), "--port", "0"]) as url:
        out = subprocess.run(
            [sys.executable, "-m", "eas_client", "predict", url, "--file", str(body)],
            capture_output=True,
            timeout=60,
        )
    assert (out.returncode, out.stdout) == (0, b"True\n")


def test_demo_processor_file_is_the_documented_quickstart() -> None:
    from eas_client.testing import LocalRuntime

    with LocalRuntime(ROOT / "examples" / "quickstart" / "app.py") as rt, EASClient(rt.endpoint) as client:
        assert client.predict_many([b"2 105", b"2 104", b"0 101"]) == [b"True", b"False", b"True"]
