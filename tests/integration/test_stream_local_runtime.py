"""Streams from the local runtime: ``eas serve examples.llm.app:app`` (the deterministic
OpenAI-compatible chat service) in a subprocess on 127.0.0.1, called by every engine with raw and
signed tokens, and by the official openai client from ``client.openai()``. Skipped where the
runtime cannot serve an ASGI app or examples/llm is not there."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eas_client import EASClient

from ..conftest import AsyncFacade, ClientFactory, collect_stream

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "llm" / "app.py"
TOKEN = "llm-runtime-token-42"
MESSAGES = [{"role": "user", "content": "hi"}]

pytestmark = pytest.mark.skipif(not APP.exists(), reason="examples/llm is not in this tree")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "eas_client", "serve", "examples.llm.app:app", "--service", "llm"]
    env = {**os.environ, "LLM_TOKEN_DELAY_MS": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [*cmd, "--token", TOKEN, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # the runtime says when it serves: that line is the readiness event
        lines.append(line)
        if "start successfully" in line or len(lines) > 50:
            break
    if proc.poll() is not None or "start successfully" not in "".join(lines):
        proc.kill()
        proc.wait(10)
        proc.stdout.close()
        pytest.skip(f"eas serve cannot serve examples.llm.app:app here: {''.join(lines)[-300:]}")
    # Keep reading its output, so a full pipe never blocks the server.
    drain = threading.Thread(target=proc.stdout.read, daemon=True)
    drain.start()
    try:
        yield f"http://127.0.0.1:{port}/api/predict/llm"
    finally:
        proc.terminate()
        proc.wait(10)
        drain.join(10)
        proc.stdout.close()


def _deltas(client: Any, **params: Any) -> list[str]:
    if isinstance(client, AsyncFacade):

        async def run() -> list[str]:
            return [d async for d in client.client.chat(MESSAGES, **params)]

        return client._loop.run_until_complete(run())
    return list(client.chat(MESSAGES, **params))


@pytest.mark.parametrize("auth", ["token", "signature"])
def test_every_engine_streams_a_chat_from_eas_serve(
    make_client: ClientFactory, service: str, auth: str
) -> None:
    client = make_client(service, TOKEN, auth=auth)
    deltas = _deltas(client, max_tokens=6)
    assert len(deltas) == 6 and deltas[0] == deltas[0].strip() and all(d.startswith(" ") for d in deltas[1:])


def test_raw_events_end_with_done(make_client: ClientFactory, service: str) -> None:
    client = make_client(service, TOKEN)
    body = {"messages": MESSAGES, "stream": True, "max_tokens": 2}
    events: list[Any] = []
    stream = collect_stream(client, body, "events", events, path="v1/chat/completions")
    assert stream.status == 200 and stream.headers["content-type"].startswith("text/event-stream")
    assert events[-1].data == "[DONE]" and len(events) == 1 + 2 + 1 + 1 + 1  # role, 2 tokens, finish, usage


def test_the_openai_client_streams_through_the_runtime(service: str) -> None:
    pytest.importorskip("openai")
    client = EASClient(service, TOKEN)
    oai = client.openai()
    chunks = oai.chat.completions.create(model="eas-demo-llm", messages=MESSAGES, stream=True, max_tokens=4)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "".join(_deltas(client, max_tokens=4))
    oai.close()
