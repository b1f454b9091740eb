"""examples/llm behind the local EAS gateway, called as users call LLM services on EAS: the
official ``openai`` package with ``api_key=<token>`` and ``base_url=<endpoint>/v1`` (it sends
``Authorization: Bearer <token>`` and ``Accept: application/json`` even when streaming), and raw
reads that see one SSE event per chunk, each arriving before the next exists."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
import uvicorn

from eas_client.testing import LocalRuntime
from examples.llm.app import MODEL, TEXT, make_app
from tests.server.rawhttp import RawStream

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "llm-token-123456"
MESSAGES: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "say it"}]


def _reply(client: openai.OpenAI) -> tuple[list[str], object]:
    deltas, usage = [], None
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    for chunk in stream:
        deltas += [c.delta.content for c in chunk.choices if c.delta.content]
        usage = chunk.usage or usage
    return deltas, usage


@pytest.fixture
def upstream() -> Iterator[str]:
    """The example as its own HTTP server (uvicorn in a thread) on a free port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(make_app(delay_s=0.0), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(1000):  # bounded: up to ~10 s
        if server.started:
            break
        threading.Event().wait(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_openai_package_streams_a_chat_completion_through_eas_serve() -> None:
    env = {**os.environ, "LLM_TOKEN_DELAY_MS": "0"}
    cmd = [sys.executable, "-m", "eas_client", "serve", "examples.llm.app:app", "--port", "0"]
    cmd += ["--service", "llm", "--token", TOKEN]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert banner.startswith("Service start successfully: http://127.0.0.1:"), banner
        endpoint = banner.split(": ", 1)[1].strip()
        assert endpoint.endswith("/api/predict/llm")
        with openai.OpenAI(api_key=TOKEN, base_url=f"{endpoint}/v1", max_retries=0) as client:
            deltas, usage = _reply(client)
            assert "".join(deltas) == TEXT and len(deltas) == len(TEXT.split(" "))
            assert usage is not None and usage.completion_tokens == len(deltas)  # type: ignore[attr-defined]
            assert [m.id for m in client.models.list()] == [MODEL]
        with openai.OpenAI(api_key="wrong", base_url=f"{endpoint}/v1", max_retries=0) as client:
            with pytest.raises(openai.AuthenticationError):
                _reply(client)
    finally:
        proc.terminate()
        proc.wait(30)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def test_openai_package_streams_through_the_gateway_in_front_of_an_upstream(upstream: str) -> None:
    with LocalRuntime(upstream=upstream, service="llm", token=TOKEN) as rt:
        with openai.OpenAI(api_key=TOKEN, base_url=f"{rt.endpoint}/v1", max_retries=0) as client:
            deltas, usage = _reply(client)
            assert "".join(deltas) == TEXT
            assert usage is not None
            whole = client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=3)
            assert whole.choices[0].message.content == "Elastic Algorithm Service"
            assert (whole.choices[0].finish_reason, whole.usage and whole.usage.completion_tokens) == (
                "length",
                3,
            )
            with pytest.raises(openai.NotFoundError, match="does not exist"):
                client.chat.completions.create(model="gpt-x", messages=MESSAGES, stream=True)
            with pytest.raises(openai.BadRequestError, match="'messages' must be a non-empty list"):
                client.chat.completions.create(model=MODEL, messages=[], stream=True)


def test_async_openai_package_streams_through_the_gateway(upstream: str) -> None:
    async def deltas(endpoint: str) -> list[str]:
        async with openai.AsyncOpenAI(api_key=TOKEN, base_url=f"{endpoint}/v1", max_retries=0) as client:
            stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
            return [
                c.choices[0].delta.content async for c in stream if c.choices and c.choices[0].delta.content
            ]

    with LocalRuntime(upstream=upstream, service="llm", token=TOKEN) as rt:
        assert "".join(asyncio.run(deltas(rt.endpoint))) == TEXT


class Steps:
    """A pace for the example that lets one token out per ``release()``."""

    def __init__(self) -> None:
        self.semaphore = threading.Semaphore(0)

    async def __call__(self, index: int) -> None:
        assert await asyncio.to_thread(self.semaphore.acquire, True, 10), "the test never released it"

    def release(self) -> None:
        self.semaphore.release()


def test_raw_reads_get_the_events_one_by_one_each_before_the_next_exists() -> None:
    steps = Steps()
    body = json.dumps({"model": MODEL, "messages": MESSAGES, "stream": True, "max_tokens": 2}).encode()
    headers = {"Authorization": TOKEN, "Accept": "application/json", "Accept-Encoding": "gzip, deflate"}
    with LocalRuntime(make_app(pace=steps), service="llm", token=TOKEN) as rt:
        with RawStream(rt.endpoint + "/v1/chat/completions", body, headers) as s:
            assert s.status == 200 and s.headers["content-type"].startswith("text/event-stream")
            assert "content-encoding" not in s.headers

            def event() -> dict[str, object]:
                chunk = s.chunk()
                assert chunk.startswith(b"data: ") and chunk.endswith(b"\n\n") and chunk.count(b"\n\n") == 1
                return json.loads(chunk[6:])  # type: ignore[no-any-return]

            assert event()["choices"] == [
                {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
            ]
            for token in ("Elastic", " Algorithm"):
                assert not s.pending()  # the next token is not made yet
                steps.release()
                assert event()["choices"] == [
                    {"index": 0, "delta": {"content": token}, "finish_reason": None}
                ]
            assert event()["choices"] == [{"index": 0, "delta": {}, "finish_reason": "length"}]
            assert event()["usage"] == {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4}
            assert (s.chunk(), s.chunk()) == (b"data: [DONE]\n\n", b"")


def test_bad_requests_get_an_openai_style_json_error() -> None:
    with LocalRuntime(make_app(delay_s=0.0), service="llm") as rt:
        url = rt.endpoint + "/v1/chat/completions"
        for body, status, message in [
            (b"{not json", 400, "the body is not JSON"),
            (b"[]", 400, "the body must be a JSON object"),
            (b'{"messages": [{"role": "user", "content": "x"}], "stream": "yes"}', 400, "stream must be"),
            (b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}', 400, "max_tokens must be"),
        ]:
            with RawStream(url, body, {"Content-Type": "application/json"}) as s:
                doc = json.loads(s.body() if "content-length" in s.headers else s.chunk())
                assert s.status == status
                assert doc["error"]["message"].startswith(message) and doc["error"]["type"]
