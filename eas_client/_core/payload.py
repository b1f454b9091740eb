"""Request bodies for predict(): raw bytes, text, JSON, or a typed payload (spec PAYLOAD-1 … 4).

A typed payload (``TFRequest``, ``TorchRequest`` or your own) is any object with
``to_body() -> bytes``, a ``content_type`` string and ``parse_response(body: bytes)``: predict()
then returns what ``parse_response`` returns instead of bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .errors import PayloadError

CT_BYTES = "application/octet-stream"
CT_TEXT = "text/plain; charset=utf-8"
CT_JSON = "application/json"


@runtime_checkable
class TypedPayload(Protocol):
    """A request object that knows its wire form and how to read the matching response."""

    content_type: str

    def to_body(self) -> bytes: ...

    def parse_response(self, body: bytes) -> Any: ...


@dataclass(frozen=True)
class EncodedBody:
    body: bytes
    content_type: str
    parse: Callable[[bytes], Any] | None = None


def encode_payload(data: object) -> EncodedBody:
    """bytes-like → as is; str → UTF-8; dict/list → compact JSON; TypedPayload → its encoding."""
    if isinstance(data, bytes):
        return EncodedBody(data, CT_BYTES)
    if isinstance(data, (bytearray, memoryview)):
        return EncodedBody(bytes(data), CT_BYTES)
    if isinstance(data, str):
        try:
            return EncodedBody(data.encode("utf-8"), CT_TEXT)
        except UnicodeEncodeError as exc:
            raise PayloadError(
                f"str payload is not valid Unicode at index {exc.start} (a lone surrogate?); "
                "pass bytes instead"
            ) from None
    if isinstance(data, (dict, list)):
        return EncodedBody(encode_json(data), CT_JSON)
    if isinstance(data, TypedPayload):
        body = data.to_body()
        if not isinstance(body, bytes):
            raise PayloadError(f"{type(data).__name__}.to_body() returned {type(body).__name__}")
        return EncodedBody(body, data.content_type, data.parse_response)
    raise PayloadError(
        f"cannot send a {type(data).__name__}: predict() takes bytes, str, a dict or list (sent as "
        "JSON), or a TFRequest/TorchRequest"
    )


def encode_json(data: object) -> bytes:
    """Compact UTF-8 JSON (no spaces, non-ASCII kept), NaN/Infinity refused as invalid JSON."""
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PayloadError(f"payload has a string that is not valid Unicode: {exc}") from None
    except ValueError as exc:  # allow_nan=False refuses what JSON cannot express
        raise PayloadError(
            f"payload is not valid JSON: {exc} (NaN and Infinity have no JSON form; send null or a string)"
        ) from None
    except TypeError as exc:
        raise PayloadError(f"payload is not JSON-serialisable: {exc}") from None
