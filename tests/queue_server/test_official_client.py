"""The official eas-prediction QueueClient (0.36) works unchanged against `eas serve --async`:
put, get (by request id, by index, empty within its 5 s read timeout), attributes, watch with
commit, redelivery after its close(), the input → sink workflow, and a refused wrong token."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from eas_client.testing import LocalRuntime
from tests.integration.test_official_sdk import official_python  # noqa: F401  (the fixture)
from tests.queue_server.conftest import TOKEN, Upper

SCRIPT = Path(__file__).with_name("official_queue_script.py")


def _run(python: Path, host: str, token: str, mode: str) -> dict[str, object]:
    done = subprocess.run(
        [str(python), str(SCRIPT), host, token, mode], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    doc: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return doc


def test_official_queue_client_against_the_async_runtime(official_python: Path) -> None:  # noqa: F811
    with LocalRuntime(Upper, service="svc", token=TOKEN, async_mode=True) as rt:
        host = rt.base_url.removeprefix("http://")
        out = _run(official_python, host, TOKEN, "ok")
        refused = _run(official_python, host, "wrong-token", "wrong-token")
    assert out["put"] == ["1", 36]  # it returns the body text as is
    assert out["get_by_request_id"] == ["abc"]
    assert out["get_by_index"] == ["def"]
    assert out["attributes"] == {"meta.name": "svc/sink", "stream.length": "0"}
    assert out["empty_get"][0] == 0 and 4.0 <= out["empty_get"][1] < 5.0  # type: ignore[index]
    assert out["redelivered"] == [True, True]
    assert out["workflow"] == [True, True]
    assert out["sink_left"] == "0"
    assert "401" in str(refused["refused"])
