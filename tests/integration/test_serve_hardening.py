"""`eas serve` as a real subprocess: the token from EAS_TOKEN or a file (never on the command line),
and Ctrl-C exits within a bounded grace even while process() hangs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from eas_client import EASClient

from ..plain_http import call

TOKEN = "serve-token-abcdef123456"
HANGING_APP = """
import threading
import allspark

RELEASE = threading.Event()


class Hanging(allspark.BaseProcessor):
    def process(self, data):
        if data == b"hang":
            RELEASE.wait()  # never set: a processor stuck for good
        return data, 200
"""


@contextmanager
def _serve(args: list[str], env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[str], str]]:
    base = {k: v for k, v in os.environ.items() if k not in ("EAS_TOKEN", "EAS_ADMIN_TOKEN")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "eas_client", "serve", *args, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**base, **(env or {})},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Service start successfully: "), line + (
            proc.stderr.read() if proc.stderr else ""
        )
        yield proc, line.split(": ", 1)[1].strip()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def _post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    return call("POST", url, body, headers)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "app.py"
    path.write_text(HANGING_APP)
    return path


def test_serve_takes_the_token_from_eas_token(app: Path) -> None:
    with _serve([str(app)], {"EAS_TOKEN": TOKEN}) as (proc, url):
        assert _post(url, b"x")[0] == 401
        with EASClient(url, TOKEN) as client:
            assert client.predict(b"with token") == b"with token"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert "calls need the token from EAS_TOKEN" in err
    assert TOKEN not in err


def test_serve_reads_the_token_from_a_file_and_keeps_it_off_the_command_line(
    app: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "token"
    secret.write_text(TOKEN + "\n")
    with _serve([str(app), "--token-file", str(secret)], {"EAS_TOKEN": "not-this-one-123"}) as (proc, url):
        assert _post(url, b"x", {"Authorization": "not-this-one-123"})[0] == 401
        assert _post(url, b"x", {"Authorization": TOKEN}) == (200, b"x")
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert TOKEN.encode() not in cmdline
        # The admin API takes the same token.
        stats = urllib.request.Request(
            url.split("/api/")[0] + "/_admin/stats", headers={"Authorization": TOKEN}
        )
        with urllib.request.urlopen(stats, timeout=10) as resp:
            assert json.loads(resp.read())["statuses"] == {"200": 1, "401": 1}


def test_serve_refuses_an_empty_token_file_or_both_forms(app: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    run = [sys.executable, "-m", "eas_client", "serve", str(app), "--port", "0"]
    out = subprocess.run([*run, "--token-file", str(empty)], capture_output=True, text=True, timeout=60)
    assert (out.returncode, out.stderr.strip()) == (1, f"eas serve: --token-file {empty} is empty")
    out = subprocess.run(
        [*run, "--token", TOKEN, "--token-file", str(empty)], capture_output=True, text=True, timeout=60
    )
    assert (out.returncode, out.stderr.strip()) == (1, "eas serve: pass --token or --token-file, not both")


def _hang_one_call(url: str) -> threading.Thread:
    """Send a call that never finishes and return once the server is running it."""

    def call() -> None:
        try:
            _post(url, b"hang")
        except OSError:
            pass  # the server went away, as it should

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    stats = url.split("/api/")[0] + "/_admin/stats"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with urllib.request.urlopen(stats, timeout=10) as resp:
            if json.loads(resp.read())["in_flight"] == 1:
                return thread
        time.sleep(0.02)
    raise AssertionError("the hanging call never reached process()")


def test_ctrl_c_exits_after_the_grace_even_while_process_hangs(app: Path) -> None:
    with _serve([str(app), "--shutdown-grace", "1"]) as (proc, url):
        _hang_one_call(url)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        took = time.monotonic() - started
        assert proc.stderr is not None
        err = proc.stderr.read()
    assert proc.returncode == 0
    assert took < 6, took
    assert "shutting down; calls in flight get 1 s (Ctrl-C again to quit now)" in err


def test_a_second_ctrl_c_quits_at_once(app: Path) -> None:
    with _serve([str(app), "--shutdown-grace", "120"]) as (proc, url):
        _hang_one_call(url)
        proc.send_signal(signal.SIGINT)
        assert proc.stderr is not None
        while "shutting down" not in (line := proc.stderr.readline()):
            assert line, "no shutdown message"
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        assert time.monotonic() - started < 6


def test_advertise_host_is_what_discovery_lists(app: Path) -> None:
    with _serve([str(app), "--service", "demo", "--instances", "2", "--advertise-host", "10.1.2.3"]) as (
        _,
        url,
    ):
        base = url.split("/api/")[0]
        with urllib.request.urlopen(base + "/api/v1/servicediscovery/upstreams/demo", timeout=10) as resp:
            items = json.loads(resp.read())["endpoints"]["items"]
    assert [i["ip"] for i in items] == ["10.1.2.3", "10.1.2.3"]
