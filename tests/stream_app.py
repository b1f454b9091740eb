"""A small Starlette app that streams, served by uvicorn on 127.0.0.1 for the real-socket stream
tests: Server-Sent Events, an OpenAI-compatible chat (stream and not) and a large event stream.

``with serve_app(token) as origin: ...`` binds the socket before uvicorn starts, so the port is
known and connections wait in the listen backlog: no polling for readiness.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

CHAT_TEXT = "Hello from a stream app, one word at a time."
BIG_EVENT_DATA = 64 * 1024


def _words() -> list[str]:
    words = CHAT_TEXT.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


def build_app(token: str) -> Starlette:
    def allowed(request: Request) -> bool:
        return request.headers.get("authorization") in (token, f"Bearer {token}")

    def denied() -> Response:
        return JSONResponse({"error": {"message": "bad token"}}, status_code=401)

    async def events(request: Request) -> Response:
        if not allowed(request):
            return denied()
        spec = await request.json()

        async def gen() -> AsyncIterator[bytes]:
            for i in range(spec["n"]):
                yield f"id: {i}\ndata: token {i}\n\n".encode()
                if spec.get("delay_ms"):
                    await asyncio.sleep(spec["delay_ms"] / 1000)

        return StreamingResponse(gen(), media_type="text/event-stream")

    async def big(request: Request) -> Response:
        spec = await request.json()
        line = b"data: " + b"x" * BIG_EVENT_DATA + b"\n\n"

        async def gen() -> AsyncIterator[bytes]:
            for _ in range(spec["events"]):
                yield line

        return StreamingResponse(gen(), media_type="text/event-stream")

    async def chat(request: Request) -> Response:
        if not allowed(request):
            return denied()
        body = await request.json()
        words = _words()
        usage = {"prompt_tokens": len(body["messages"]), "completion_tokens": len(words), "total_tokens": 0}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        model = body.get("model") or "stream-app"
        if not body.get("stream"):
            message = {"role": "assistant", "content": CHAT_TEXT}
            return JSONResponse(
                {
                    "id": "c1",
                    "object": "chat.completion",
                    "created": 1,
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    "usage": usage,
                }
            )

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            out = {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return b"data: " + json.dumps(out).encode() + b"\n\n"

        async def gen() -> AsyncIterator[bytes]:
            yield chunk({"role": "assistant", "content": ""})
            for word in words:
                yield chunk({"content": word})
            yield chunk({}, "stop")
            if (body.get("stream_options") or {}).get("include_usage"):
                tail = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": model}
                yield b"data: " + json.dumps({**tail, "choices": [], "usage": usage}).encode() + b"\n\n"
            yield b"data: [DONE]\n\n"

        return StreamingResponse(gen(), media_type="text/event-stream")

    return Starlette(
        routes=[
            Route("/api/predict/llm", events, methods=["POST"]),
            Route("/api/predict/llm/big", big, methods=["POST"]),
            Route("/api/predict/llm/v1/chat/completions", chat, methods=["POST"]),
        ]
    )


@contextmanager
def serve_app(token: str) -> Iterator[str]:
    """Serve the app on an ephemeral 127.0.0.1 port; yields its origin."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    config = uvicorn.Config(build_app(token), log_level="error", lifespan="off", loop="asyncio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
