"""The `eas` command fails with one line naming the problem and exit code 1, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from eas_client.testing import LocalRuntime

from ..server.processors import Echo, Shapes
from .test_seed_and_cli import _serving

EAS = [sys.executable, "-m", "eas_client"]


def _run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*EAS, *args], capture_output=True, input=stdin, timeout=60)


def test_predict_reports_a_missing_file() -> None:
    out = _run("predict", "http://127.0.0.1:1/api/predict/x", "--file", "/nonexistent/body")
    assert out.returncode == 1
    assert out.stderr == b"eas predict: [Errno 2] No such file or directory: '/nonexistent/body'\n"


def test_predict_reports_a_refused_connection_as_connect_error() -> None:
    with socket.socket() as holder:  # a port nothing listens on
        holder.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{holder.getsockname()[1]}/api/predict/x"
        out = _run("predict", url, "-d", "x")
    assert out.returncode == 1
    assert out.stderr.startswith(b"ConnectError: cannot connect to " + url.encode())
    assert b"Traceback" not in out.stderr


def test_predict_reports_the_processor_error_and_reads_stdin() -> None:
    with LocalRuntime(Shapes, service="demo") as rt:
        bad = _run("predict", rt.endpoint, "-d", "raise")
        good = _run("predict", rt.base_url, "--service", "demo", "--file", "-", stdin=b"dict")
    assert bad.returncode == 1
    assert bad.stderr.startswith(b"BadRequestError: HTTP 400 from service demo")
    assert b"ValueError: cannot parse input" in bad.stderr
    assert (good.returncode, good.stdout) == (0, b'{"a": [1, 2]}\n')


def test_serve_reports_a_port_in_use(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(
        "import allspark\n\nclass P(allspark.BaseProcessor):\n    def process(self, d):\n        return d\n"
    )
    with LocalRuntime(Echo, service="demo") as rt:
        port = rt.base_url.rsplit(":", 1)[1]
        out = _run("serve", str(app), "--port", port)
    assert out.returncode == 1
    assert (
        out.stderr
        == (
            f"port {port} on 127.0.0.1 is already in use (another eas serve or python app.py?); "
            "stop it, or pick another port: --port N or EAS_SERVE_PORT=N\n"
        ).encode()
    )


def test_serve_rejects_bad_fault_settings_before_serving(tmp_path: Path) -> None:
    out = _run("serve", str(tmp_path / "app.py"), "--faults", '{"rate_503": 2}')
    assert out.returncode == 2
    assert b"bad --faults" in out.stderr and b"at most 1" in out.stderr


def test_serve_injects_the_faults_of_the_flag(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(
        "import allspark\n\nclass P(allspark.BaseProcessor):\n    def process(self, d):\n        return d\n"
    )
    faults = '{"rate_503": 1.0, "retry_after": "2"}'
    with _serving([*EAS, "serve", str(app), "--port", "0", "--faults", faults]) as url:
        req = urllib.request.Request(url, data=b"x")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=10)
        with info.value as err:
            assert (err.code, err.headers["Retry-After"], err.read()) == (503, "2", b"injected fault")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), b"nothing to serve: pass a processor file, an ASGI app (module:app) or --upstream URL\n"),
        (
            ("app.py", "--upstream", "http://127.0.0.1:1"),
            b"serve a processor or an app, or forward to --upstream, not both\n",
        ),
        (("--upstream", "ftp://x"), b"--upstream 'ftp://x' must be an http:// or https:// URL with a host\n"),
        (("no_such_module:app",), b"cannot import 'no_such_module' for the ASGI app 'no_such_module:app': "),
        (("json:no_such_app",), b"module 'json' has no attribute 'no_such_app'\n"),
    ],
)
def test_serve_says_what_it_cannot_serve(args: tuple[str, ...], message: bytes) -> None:
    out = _run("serve", *args, "--port", "0")
    assert out.returncode == 1
    assert out.stderr.startswith(message), out.stderr
    assert b"Traceback" not in out.stderr
