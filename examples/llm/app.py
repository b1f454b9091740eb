"""A small deterministic OpenAI-compatible chat service: no model weights, the reply is a fixed
text sent one word ("token") at a time with a configurable delay, so streaming can be seen and
tested end to end with the official ``openai`` package, curl and the eas clients.

Endpoints: ``POST /v1/chat/completions`` (``"stream": true`` → Server-Sent Events, else one JSON
completion) and ``GET /v1/models``. Run it behind the local EAS gateway::

    eas serve examples.llm.app:app --service llm --token T          # in process (ASGI)
    python examples/llm/app.py --port 8000 &                        # or as its own server ...
    eas serve --upstream http://127.0.0.1:8000 --service llm --token T   # ... behind the gateway

``LLM_TOKEN_DELAY_MS`` sets the delay before each token (default 30).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MODEL = "eas-demo-llm"
# Fixed so answers (and tests) are the same on every run.
CREATED = 1_700_000_000
TEXT = (
    "Elastic Algorithm Service runs your model behind a gateway that checks the token, "
    "queues calls and streams each token to the caller as soon as it is produced."
)
DEFAULT_DELAY_MS = 30.0
Pace = Callable[[int], Awaitable[None]]


def tokens(text: str = TEXT) -> list[str]:
    """The reply split into tokens: each word with the space before it (none before the first)."""
    words = text.split(" ")
    return [words[0], *(" " + w for w in words[1:])]


def make_app(*, delay_s: float | None = None, text: str = TEXT, pace: Pace | None = None) -> Starlette:
    """The ASGI app. ``pace(i)`` is awaited before token ``i`` (default: sleep ``delay_s``, from
    ``LLM_TOKEN_DELAY_MS`` when not given); tests pass one that waits for their signal."""
    if delay_s is None:
        delay_s = float(os.environ.get("LLM_TOKEN_DELAY_MS", DEFAULT_DELAY_MS)) / 1000

    async def sleep(_: int) -> None:
        if delay_s:
            await asyncio.sleep(delay_s)

    service = _Service(tokens(text), pace or sleep)
    return Starlette(
        routes=[
            Route("/v1/chat/completions", service.chat, methods=["POST"]),
            Route("/v1/models", service.models, methods=["GET"]),
        ]
    )


def error(
    status: int, message: str, kind: str = "invalid_request_error", code: str | None = None
) -> Response:
    """An OpenAI-style error body, which the openai package raises as the matching APIError."""
    doc = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
    return JSONResponse(doc, status_code=status)


class _Service:
    def __init__(self, reply: list[str], pace: Pace) -> None:
        self.reply = reply
        self.pace = pace
        self.ids = itertools.count(1)

    async def models(self, request: Request) -> Response:
        model = {"id": MODEL, "object": "model", "created": CREATED, "owned_by": "eas-client"}
        return JSONResponse({"object": "list", "data": [model]})

    async def chat(self, request: Request) -> Response:
        try:
            doc = json.loads(await request.body())
        except ValueError as exc:
            return error(400, f"the body is not JSON: {exc}")
        problem = _problem(doc)
        if problem is not None:
            return problem
        limit = doc.get("max_tokens") or doc.get("max_completion_tokens") or len(self.reply)
        reply = self.reply[:limit]
        finish = "length" if len(reply) < len(self.reply) else "stop"
        prompt = sum(len(str(m.get("content", "")).split()) for m in doc["messages"])
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": len(reply),
            "total_tokens": prompt + len(reply),
        }
        call = f"chatcmpl-{next(self.ids)}"
        # The openai package sends "Accept: application/json" even when streaming: the body decides.
        if doc.get("stream") is True:
            events = self._events(call, reply, finish, usage)
            headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
            return StreamingResponse(events, media_type="text/event-stream", headers=headers)
        for i in range(len(reply)):
            await self.pace(i)
        message = {"role": "assistant", "content": "".join(reply)}
        choice = {"index": 0, "message": message, "finish_reason": finish}
        return JSONResponse(
            {"id": call, "object": "chat.completion", "created": CREATED, "model": MODEL,
             "choices": [choice], "usage": usage}
        )  # fmt: skip

    async def _events(
        self, call: str, reply: list[str], finish: str, usage: dict[str, int]
    ) -> AsyncIterator[bytes]:
        def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
            chunk = {"id": call, "object": "chat.completion.chunk", "created": CREATED, "model": MODEL}
            return b"data: " + json.dumps({**chunk, "choices": choices, **extra}).encode() + b"\n\n"

        yield event([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
        for i, token in enumerate(reply):
            await self.pace(i)
            yield event([{"index": 0, "delta": {"content": token}, "finish_reason": None}])
        yield event([{"index": 0, "delta": {}, "finish_reason": finish}])
        yield event([], usage=usage)
        yield b"data: [DONE]\n\n"


def _problem(doc: Any) -> Response | None:
    if not isinstance(doc, dict):
        return error(400, "the body must be a JSON object")
    messages = doc.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        return error(400, "'messages' must be a non-empty list of {role, content} objects")
    model = doc.get("model", MODEL)
    if model != MODEL:
        return error(
            404, f"model {model!r} does not exist; this service serves {MODEL!r}", code="model_not_found"
        )
    limit = doc.get("max_tokens", doc.get("max_completion_tokens"))
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        return error(400, f"max_tokens must be a whole number >= 1, got {limit!r}")
    if "stream" in doc and not isinstance(doc["stream"], bool):
        return error(400, f"stream must be true or false, got {doc['stream']!r}")
    return None


app = make_app()


if __name__ == "__main__":
    import uvicorn

    parser = argparse.ArgumentParser(description="the demo chat service on its own (no gateway)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
