"""`eas doctor` against the local runtime on 127.0.0.1: a healthy service, a refused or missing
token, a wrong service name, a closed port and TLS on a plain-http port."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest

from eas_client.cli import main
from eas_client.testing import LocalRuntime

from ..server.processors import Echo

TOKEN = "doctor-token-never-printed"


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(Echo, service="demo", token=TOKEN) as rt:
        yield rt


def _doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["doctor", *args])
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err
    return code, out.out.splitlines()


def test_a_healthy_service_passes_every_step(
    runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = _doctor(capsys, runtime.endpoint, "--token", TOKEN, "-d", "2 105")
    assert code == 0
    assert [line.split(":", 1)[0] for line in lines] == [
        "ok   dns", "ok   connect", "ok   token", "ok   predict", "ok   latency"
    ]  # fmt: skip
    assert lines[2] == "ok   token: accepted"
    assert re.fullmatch(r"ok   predict: HTTP 200, 5 bytes in \d+\.\d ms", lines[3]), lines[3]
    assert re.fullmatch(r"ok   latency: median \d+\.\d ms, max \d+\.\d ms over 5 calls", lines[4]), lines[4]


def test_a_refused_token_is_named(runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = _doctor(capsys, runtime.endpoint, "--token", "wrong-token")
    assert code == 1
    assert lines[-1] == (
        "FAIL token: the token was refused: copy it again from the service (console or `eas status`)"
    )


def test_a_missing_token_says_how_to_pass_one(
    runtime: LocalRuntime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EAS_TOKEN", raising=False)
    code, lines = _doctor(capsys, runtime.endpoint)
    assert code == 1
    assert lines[-1] == "FAIL token: no token was sent: pass --token or set EAS_TOKEN"


def test_a_wrong_service_name(runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = _doctor(capsys, runtime.base_url + "/api/predict/other", "--token", TOKEN)
    assert code == 1
    assert lines[-1].startswith("FAIL predict: HTTP 404 (") and lines[-1].endswith(
        "; check the service name in the URL"
    )


def test_a_closed_port(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as holder:  # bound, not listening: connections are refused
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        code, lines = _doctor(capsys, f"http://127.0.0.1:{port}/api/predict/demo")
    assert code == 1
    assert lines == [
        "ok   dns: 127.0.0.1 -> 127.0.0.1",
        f"FAIL connect: nothing listens on 127.0.0.1:{port} (connection refused); is the service running, "
        "and is the port right?",
    ]


def test_tls_against_a_plain_http_port(runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = _doctor(capsys, runtime.endpoint.replace("http://", "https://"), "--token", TOKEN)
    assert code == 1
    assert lines[-1].startswith("FAIL tls: TLS handshake failed (") and lines[-1].endswith(
        "is this port plain http?"
    )
