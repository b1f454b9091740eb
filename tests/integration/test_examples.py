"""Every example runs in `make test`, so none can go stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_make_demo_script_prints_real_answers() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "EASClient.predict(b'2 105') -> b'True'" in lines
    assert "EASClient.predict(b'2 103') -> b'False'" in lines
    assert any(line.startswith("AsyncEASClient.predict_many: 300 rows -> ") for line in lines)
    assert any(line.startswith("eas predict ") and line.endswith("-> True") for line in lines)
    assert "direct mode: 30 calls spread over the instances as [10, 10, 10]" in lines
    assert "300/300" in out.stderr  # the progress bar ran to the end


@pytest.mark.skipif(
    not (ROOT / "examples" / "llm" / "app.py").exists(), reason="examples/llm is not in this tree"
)
def test_streaming_example_streams_from_the_demo_chat_service() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "streaming.py")], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("chat():") and "Elastic" in line for line in lines), lines
    assert any(line.startswith("stream() events:  200, 7 events, last [DONE]") for line in lines), lines
    assert any(line.startswith("async chat() (signed): ") and "in 6 deltas" in line for line in lines), lines
