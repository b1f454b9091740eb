"""examples/streaming.py runs in `make test`, so it cannot go stale; it needs the demo chat service
(examples/llm) and is skipped in a tree without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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
