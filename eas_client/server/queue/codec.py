"""DataFrame protobufs of the queue service (spec/proto/queueservice.proto) with the payload
package's wire helpers, so the runtime needs no protobuf package.

Bytes match protobuf's deterministic serializer: fields in number order, proto3 defaults left out,
map entries always carrying their key and value, in sorted key order (protobuf's own order differs
only where one key is a prefix of another; map order carries no meaning on the wire).

Example::

    >>> body = encode_frame(Frame(index=3, tags={"requestId": "r1"}, data=b"hi"))
    >>> decode_frame(body)
    Frame(index=3, tags={'requestId': 'r1'}, data=b'hi', message='')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..._core.errors import PayloadError
from ...payloads._wire import WT_LEN, WT_VARINT, iter_fields, len_field, tag, varint

_INDEX_TAG = tag(1, WT_VARINT)


@dataclass(frozen=True)
class Frame:
    """One DataFrameProto: an item of a queue."""

    index: int
    tags: dict[str, str] = field(default_factory=dict)
    data: bytes = b""
    message: str = ""


def _string_map(field_number: int, items: Mapping[str, str]) -> bytes:
    out = bytearray()
    for key in sorted(items):
        k, v = key.encode("utf-8"), items[key].encode("utf-8")
        entry = len_field(1, len(k)) + k + len_field(2, len(v)) + v
        out += len_field(field_number, len(entry)) + entry
    return bytes(out)


def encode_frame(frame: Frame) -> bytes:
    """One DataFrameProto, as a watch frame carries it."""
    out = bytearray()
    if frame.index:
        out += _INDEX_TAG + varint(frame.index)
    out += _string_map(2, frame.tags)
    if frame.data:
        out += len_field(3, len(frame.data)) + frame.data
    if frame.message:
        text = frame.message.encode("utf-8")
        out += len_field(4, len(text)) + text
    return bytes(out)


def encode_list(frames: Iterable[Frame]) -> bytes:
    """A DataFrameListProto (the answer to a get); no frames is an empty body."""
    out = bytearray()
    for frame in frames:
        body = encode_frame(frame)
        out += len_field(1, len(body)) + body
    return bytes(out)


def encode_attributes(attributes: Mapping[str, str]) -> bytes:
    """An AttributesProto."""
    return _string_map(1, attributes)


def _text(buf: bytes, a: int, b: int, what: str) -> str:
    try:
        return buf[a:b].decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError(f"DataFrame: {what} is not valid UTF-8") from None


def _map_entry(buf: bytes, a: int, b: int) -> tuple[str, str]:
    key = value = ""
    for number, wt, x, y in iter_fields(buf, a, b, "DataFrame tag"):
        if number == 1 and wt == WT_LEN:
            key = _text(buf, x, y, "a tag key")
        elif number == 2 and wt == WT_LEN:
            value = _text(buf, x, y, "a tag value")
    return key, value


def decode_frame(buf: bytes, start: int = 0, end: int | None = None) -> Frame:
    """A DataFrameProto; unknown fields are skipped, a malformed body raises PayloadError."""
    stop = len(buf) if end is None else end
    index, tags, data, message = 0, {}, b"", ""
    for number, wt, a, b in iter_fields(buf, start, stop, "DataFrame"):
        if number == 1 and wt == WT_VARINT:
            index = a
        elif number == 2 and wt == WT_LEN:
            key, value = _map_entry(buf, a, b)
            tags[key] = value
        elif number == 3 and wt == WT_LEN:
            data = bytes(buf[a:b])
        elif number == 4 and wt == WT_LEN:
            message = _text(buf, a, b, "message")
        elif number in (1, 2, 3, 4):
            raise PayloadError(f"DataFrame: field {number} has wire type {wt}")
    return Frame(index, tags, data, message)


def decode_list(buf: bytes) -> list[Frame]:
    """A DataFrameListProto; an empty body is an empty list."""
    frames = []
    for number, wt, a, b in iter_fields(buf, 0, len(buf), "DataFrameList"):
        if number == 1 and wt == WT_LEN:
            frames.append(decode_frame(buf, a, b))
        elif number == 1:
            raise PayloadError(f"DataFrameList: field 1 has wire type {wt}")
    return frames


def decode_attributes(buf: bytes) -> dict[str, str]:
    """An AttributesProto."""
    out = {}
    for number, wt, a, b in iter_fields(buf, 0, len(buf), "Attributes"):
        if number == 1 and wt == WT_LEN:
            key, value = _map_entry(buf, a, b)
            out[key] = value
    return out
