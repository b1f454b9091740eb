"""Every example runs in `make test`, so none can go stale."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from examples.llm.app import TEXT

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


def test_make_demo_llm_streams_the_whole_reply() -> None:
    env = {**os.environ, "LLM_TOKEN_DELAY_MS": "0"}
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "llm" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "HTTP 200 text/event-stream; charset=utf-8; the reply, token by token:" in lines
    assert TEXT in lines
    usage = "'prompt_tokens': 4, 'completion_tokens': 28, 'total_tokens': 32}"
    assert any(line.startswith("first token after ") and line.endswith(usage) for line in lines)


def test_async_inference_example_collects_every_result() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "async_inference.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("submit_many: 1000 inputs -> 1000 results in ") for line in lines)
    assert "every input got exactly one result: True; wrong answers: 0" in lines
    assert "1000/1000" in out.stderr  # the progress bar ran to the end
