"""stream(), chat() and openai() over real sockets, on every engine: a Starlette app served by
uvicorn (StreamingResponse, an OpenAI-compatible chat) and the scripted server. The protocol's
corner cases are the spec scenarios (tests/spec, scenarios/streaming.json); these check the
API around them."""

from __future__ import annotations

import asyncio
import sys
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import eas_client
from eas_client import AsyncEASClient, ConfigError, EASClient, ServerSentEvent

from ..conftest import AsyncFacade, ClientFactory, collect_stream
from ..scripted_server import Reply, ScriptedServer
from ..stream_app import BIG_EVENT_DATA, CHAT_TEXT, serve_app

TOKEN = "stream-app-token-0123"
MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.fixture(scope="module")
def app_origin() -> Iterator[str]:
    with serve_app(TOKEN) as origin:
        yield origin


def _client(make_client: ClientFactory, origin: str, **kwargs: Any) -> Any:
    return make_client(f"{origin}/api/predict/llm", TOKEN, **kwargs)


def test_events_arrive_from_a_streaming_response(make_client: ClientFactory, app_origin: str) -> None:
    client = _client(make_client, app_origin)
    got: list[ServerSentEvent] = []
    stream = collect_stream(client, {"n": 40, "delay_ms": 1}, "events", got)
    assert [(e.event, e.data, e.id) for e in got] == [("message", f"token {i}", str(i)) for i in range(40)]
    assert (stream.status, stream.attempts, stream.closed) == (200, 1, True)
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.bytes_received == sum(len(f"id: {i}\ndata: token {i}\n\n") for i in range(40))


def test_lines_and_bytes_of_the_same_stream(make_client: ClientFactory, app_origin: str) -> None:
    client = _client(make_client, app_origin)
    lines: list[str] = []
    collect_stream(client, {"n": 2}, "lines", lines)
    assert lines == ["id: 0", "data: token 0", "", "id: 1", "data: token 1", ""]
    chunks: list[bytes] = []
    collect_stream(client, {"n": 2}, "bytes", chunks)
    assert b"".join(chunks) == b"id: 0\ndata: token 0\n\nid: 1\ndata: token 1\n\n"


def test_a_wrong_token_is_raised_before_any_stream(make_client: ClientFactory, app_origin: str) -> None:
    client = make_client(f"{app_origin}/api/predict/llm", "wrong-token-456")
    with pytest.raises(eas_client.AuthenticationError) as info:
        collect_stream(client, {"n": 1}, "events", [])
    assert info.value.attempts == 1 and "bad token" in str(info.value)


def test_chat_streams_text_deltas_then_usage(make_client: ClientFactory, app_origin: str) -> None:
    client = _client(make_client, app_origin)
    deltas, chat = _chat_deltas(client, max_tokens=16)
    assert "".join(deltas) == CHAT_TEXT and len(deltas) == len(CHAT_TEXT.split(" "))
    assert chat.text == CHAT_TEXT
    assert chat.usage == {
        "prompt_tokens": 1,
        "completion_tokens": len(deltas),
        "total_tokens": 1 + len(deltas),
    }
    assert chat.finish_reason == "stop"


def test_chat_without_stream_returns_the_whole_answer(make_client: ClientFactory, app_origin: str) -> None:
    client = _client(make_client, app_origin)
    if isinstance(client, AsyncFacade):
        result = client._loop.run_until_complete(client.client.chat(MESSAGES, "m", stream=False))
    else:
        result = client.chat(MESSAGES, "m", stream=False)
    assert isinstance(result, eas_client.ChatResult)
    assert (result.text, result.finish_reason) == (CHAT_TEXT, "stop")
    assert result.usage is not None and result.usage["completion_tokens"] == len(CHAT_TEXT.split(" "))


def _chat_deltas(client: Any, **params: Any) -> tuple[list[str], Any]:
    if isinstance(client, AsyncFacade):

        async def run() -> tuple[list[str], Any]:
            chat = client.client.chat(MESSAGES, **params)
            return [d async for d in chat], chat

        return client._loop.run_until_complete(run())
    with client.chat(MESSAGES, **params) as chat:
        return list(chat), chat


def test_a_stream_is_read_once(make_client: ClientFactory, app_origin: str) -> None:
    client = _client(make_client, app_origin)
    if isinstance(client, AsyncFacade):

        async def run() -> None:
            async with client.client.stream({"n": 1}) as stream:
                [e async for e in stream.iter_events()]
                with pytest.raises(RuntimeError, match="read once"):
                    [c async for c in stream.iter_bytes()]

        client._loop.run_until_complete(run())
        return
    with client.stream({"n": 1}) as stream:
        list(stream.iter_events())
        with pytest.raises(RuntimeError, match="read once"):
            list(stream.iter_bytes())


def test_memory_stays_flat_over_a_large_stream(make_client: ClientFactory, app_origin: str) -> None:
    """STREAM-9: 48 MiB of events through iter_events costs a few MiB at most (the kept tail of
    STREAM-10 is 1 MiB), not the body's size."""
    client = _client(make_client, app_origin)
    count = 768  # 768 events of 64 KiB
    seen = [0]

    class Counter(list[Any]):
        def append(self, item: Any) -> None:
            seen[0] += len(item.data)

    tracemalloc.start()
    try:
        collect_stream(client, {"events": count}, "events", Counter(), path="big")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen[0] == count * BIG_EVENT_DATA
    assert peak < 12 * 1024 * 1024, peak


class _PlainTransport:
    def send(self, request: Any) -> Any:
        raise AssertionError("not called")

    def close(self) -> None:
        pass


def test_a_transport_without_streaming_says_so() -> None:
    client = EASClient("http://127.0.0.1:9/api/predict/llm", http_client=_PlainTransport())
    with pytest.raises(ConfigError, match="cannot stream"):
        client.stream(b"x")
    with pytest.raises(ConfigError, match="cannot stream"):
        client.chat(MESSAGES)


def test_bad_chat_arguments_fail_before_any_request() -> None:
    client = EASClient("http://127.0.0.1:9/api/predict/llm")
    with pytest.raises(ConfigError, match="non-empty list"):
        client.chat([])
    with pytest.raises(ConfigError, match="not JSON"):
        client.chat(MESSAGES, temperature=float("nan"))


def test_openai_client_streams_through_the_service(app_origin: str) -> None:
    pytest.importorskip("openai")
    client = EASClient(f"{app_origin}/api/predict/llm", TOKEN)
    oai = client.openai()
    assert str(oai.base_url) == f"{app_origin}/api/predict/llm/v1/"
    pieces = oai.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in pieces if c.choices)
    assert text == CHAT_TEXT
    oai.close()


def test_async_openai_client_is_configured_the_same(app_origin: str) -> None:
    pytest.importorskip("openai")

    async def run() -> str:
        async with AsyncEASClient(f"{app_origin}/api/predict/llm", TOKEN) as client:
            oai = client.openai(max_retries=0)
            answer = await oai.chat.completions.create(model="m", messages=MESSAGES)
            await oai.close()
            return str(answer.choices[0].message.content)

    assert asyncio.run(run()) == CHAT_TEXT


def test_openai_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # import openai now raises ImportError
    client = EASClient("http://127.0.0.1:9/api/predict/llm", "tok")
    with pytest.raises(ConfigError, match=r"eas-client\[openai\]"):
        client.openai()


def test_openai_refuses_direct_mode() -> None:
    client = EASClient("http://127.0.0.1:9", "tok", service_name="llm", endpoint_type="direct")
    with pytest.raises(ConfigError, match="direct mode"):
        client.openai()


def test_a_chat_error_event_carries_the_text_so_far(make_client: ClientFactory) -> None:
    body = (
        b'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
        b'data: {"error":{"message":"overloaded, token stream-app-token-0123 revoked"}}\n\n'
    )
    reply = Reply(200, {"Content-Type": "text/event-stream"}, chunks=[(body, 0)])
    with ScriptedServer([reply]) as server:
        client = make_client(server.url("/api/predict/llm"), TOKEN)
        with pytest.raises(eas_client.StreamEventError) as info:
            _chat_deltas(client)
    err = info.value
    assert "overloaded" in str(err) and TOKEN not in str(err)
    assert [e.data for e in err.events] == ['{"choices":[{"index":0,"delta":{"content":"Hel"}}]}']
    assert err.events_delivered == 1 and err.bytes_received == len(body)
    assert server.seen[0].path == "/api/predict/llm/v1/chat/completions"
    assert server.seen[0].headers["accept"] == "text/event-stream"


@pytest.mark.parametrize("engine", ["aiohttp", "httpx"])
def test_cancelling_a_stream_closes_its_connection(engine: str) -> None:
    """STREAM-5/6: a cancelled task stops at once and its connection is not reused."""
    sse = {"Content-Type": "text/event-stream"}
    replies = [
        Reply(200, sse, chunks=[(b"data: a\n\n", 0), (b"data: b\n\n", 3000)]),
        Reply(200, sse, chunks=[(b"data: c\n\n", 0)]),
    ]

    async def run(server: ScriptedServer) -> list[str]:
        http_client = httpx.AsyncClient() if engine == "httpx" else None
        async with AsyncEASClient(server.url(), TOKEN, http_client=http_client) as client:
            first = asyncio.Event()

            async def read() -> None:
                async with client.stream(b"x") as stream:
                    async for _ in stream.iter_events():
                        first.set()

            task = asyncio.create_task(read())
            await first.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            async with client.stream(b"y") as stream:
                got = [e.data async for e in stream.iter_events()]
        if http_client is not None:
            await http_client.aclose()
        return got

    with ScriptedServer(replies) as server:
        started = time.monotonic()
        assert asyncio.run(run(server)) == ["c"]
        assert time.monotonic() - started < 2.0
    assert [s.connection for s in server.seen] == [0, 1]
