"""A client written against EAS, the official eas-prediction package, calls the local runtime.
It pins protobuf 3.20, so it lives in its own virtualenv (.venv-official, made once and reused)."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest

from eas_client.testing import LocalRuntime

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-official"
SCRIPT = """
import sys
from eas_prediction import PredictClient, StringRequest
client = PredictClient(sys.argv[1], "demo")
client.set_token(sys.argv[2])
client.init()
print(client.predict(StringRequest("2 105")).response_data.decode())
"""


@pytest.fixture(scope="module")
def official_python() -> Path:
    python = VENV / "bin" / "python"
    if not (VENV / "bin" / ".eas-prediction-installed").exists():
        venv.create(VENV, with_pip=True, clear=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "eas-prediction==0.36"], check=True, timeout=300
        )
        (VENV / "bin" / ".eas-prediction-installed").touch()
    return python


def test_official_eas_prediction_sdk_calls_the_runtime(official_python: Path) -> None:
    app = ROOT / "examples" / "quickstart" / "app.py"
    with LocalRuntime(app, service="demo", token="official-token-123") as rt:
        host = rt.base_url.removeprefix("http://")
        ok = subprocess.run(
            [str(official_python), "-c", SCRIPT, host, "official-token-123"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        bad = subprocess.run(
            [str(official_python), "-c", SCRIPT, host, "wrong-token"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        stats = rt.stats()
    assert (ok.returncode, ok.stdout) == (0, "True\n"), ok.stderr
    assert bad.returncode != 0 and "401" in bad.stderr
    assert stats["statuses"] == {"200": 1, "401": 1}
