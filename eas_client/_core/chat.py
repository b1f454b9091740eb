"""The OpenAI-compatible chat helper's rules (STREAM-11, STREAM-12), as pure functions.

``chat_request`` builds the call; ``ChatReader`` turns the stream's events into text deltas and
keeps the usage; ``parse_chat_response`` reads a non-stream answer. The twins only send and read::

    reader = ChatReader()
    reader.take(ServerSentEvent(data='{"choices":[{"index":0,"delta":{"content":"Hi"}}]}'))  # ['Hi']
    reader.take(ServerSentEvent(data="[DONE]"))  # []; reader.done is True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError, PayloadError, StreamEventError, StreamProtocolError
from .sse import EVENT_STREAM, ServerSentEvent

CHAT_PATH = "v1/chat/completions"
DONE = "[DONE]"
_ARGUMENTS = ("model", "messages", "stream")


@dataclass(frozen=True)
class ChatRequest:
    """What ``chat()`` sends: the sub-path, the exact JSON body and the Accept header."""

    path: str
    body: bytes
    accept: str


@dataclass(frozen=True)
class ChatResult:
    """A chat answer: its ``text``, the server's ``usage`` object and ``finish_reason``.

    Example::

        result = client.chat([{"role": "user", "content": "Hi"}], stream=False)
        result.text, result.usage["total_tokens"]
    """

    text: str
    usage: dict[str, Any] | None
    finish_reason: str | None


def chat_request(
    messages: object, model: str | None, stream: bool, params: Mapping[str, Any] | Sequence[tuple[str, Any]]
) -> ChatRequest:
    """STREAM-11: members in order model, messages, stream, stream_options, then the params."""
    if not isinstance(messages, list) or not messages:
        raise ConfigError("messages must be a non-empty list of {'role': ..., 'content': ...} objects")
    pairs = list(params.items()) if isinstance(params, Mapping) else [tuple(p) for p in params]
    body: dict[str, Any] = {}
    if model is not None:
        body["model"] = model
    body["messages"] = messages
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    for key, value in pairs:
        if key in _ARGUMENTS:
            raise ConfigError(f"{key!r} is an argument of chat(), not a parameter: pass {key}=... instead")
        body[key] = value  # a stream_options param takes our entry's place
    try:
        encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"chat() arguments are not JSON: {exc}") from None
    return ChatRequest(CHAT_PATH, encoded.encode("utf-8"), EVENT_STREAM if stream else "application/json")


class ChatReader:
    """STREAM-12 over the events of a stream chat: ``take`` returns the text deltas of one event."""

    __slots__ = ("done", "finish_reason", "usage")

    def __init__(self) -> None:
        self.done = False
        self.usage: dict[str, Any] | None = None
        self.finish_reason: str | None = None

    def take(self, event: ServerSentEvent) -> list[str]:
        if event.event not in ("message", "error"):
            return []
        if event.event == "message" and event.data == DONE:
            self.done = True
            return []
        value = _loads(event.data)
        if event.event == "error":
            if isinstance(value, dict) and value.get("error") is not None:
                value = value["error"]
            raise _event_error(event.data if value is _NOT_JSON else value)
        if not isinstance(value, dict):
            raise StreamProtocolError(
                f"a chat event's data is not a JSON object: {event.data[:200]!r}; "
                "is this an OpenAI-compatible service?"
            )
        if value.get("error") is not None:
            raise _event_error(value["error"])
        return self._deltas(value)

    def _deltas(self, chunk: dict[str, Any]) -> list[str]:
        out: list[str] = []
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str) and content:
                out.append(content)
            if choice.get("finish_reason") is not None:
                self.finish_reason = choice["finish_reason"]
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        return out


def parse_chat_response(body: bytes) -> ChatResult:
    """STREAM-11's non-stream answer: ``choices[0].message.content``, usage and finish reason."""
    value = _loads(body.decode("utf-8", "replace"))
    choices = value.get("choices") if isinstance(value, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    if not isinstance(message, dict) or not isinstance(value, dict) or not isinstance(first, dict):
        raise PayloadError(
            "the answer is not an OpenAI chat completion (no choices[0].message): "
            f"{body[:200].decode('utf-8', 'replace')!r}"
        )
    content = message.get("content")
    usage = value.get("usage")
    return ChatResult(
        content if isinstance(content, str) else "",
        usage if isinstance(usage, dict) else None,
        first.get("finish_reason"),
    )


_NOT_JSON: Any = object()


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON


def _event_error(error: object) -> StreamEventError:
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        shown = error["message"]
    elif isinstance(error, str):
        shown = error
    else:
        shown = json.dumps(error, ensure_ascii=False, separators=(",", ":"))
    return StreamEventError(f"the service sent an error in the stream: {shown[:500]}", error=error)
