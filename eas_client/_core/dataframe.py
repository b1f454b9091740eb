"""The queue service's frames (spec/protocol.md QUEUE-7): DataFrameProto, DataFrameListProto and
AttributesProto, encoded and decoded with the tensor codec's wire helpers (no protobuf runtime).

Encoding matches protobuf's own serializer: fields in number order, proto3 defaults omitted, map
entries in the caller's order with key then value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..payloads._wire import WT_LEN, WT_VARINT, iter_fields, len_field, tag, varint
from .errors import PayloadError


@dataclass(frozen=True)
class DataFrame:
    """One queue item: its ``index`` (from 1), ``tags``, ``data`` and the server's ``message``.

    Example::

        frame = DataFrame(7, {"requestId": "r-1"}, b"result")
        assert decode_dataframe(encode_dataframe(frame)) == frame
    """

    index: int
    tags: dict[str, str] = field(default_factory=dict)
    data: bytes = b""
    message: str = ""

    def to_json(self) -> dict[str, object]:
        """The JSON form the spec's cases use (``data`` as lower-case hex)."""
        return {
            "index": self.index,
            "tags": dict(self.tags),
            "data_hex": self.data.hex(),
            "message": self.message,
        }


def encode_dataframe(frame: DataFrame) -> bytes:
    out = bytearray()
    if frame.index:
        out += tag(1, WT_VARINT) + varint(frame.index)
    out += _encode_map(2, frame.tags)
    if frame.data:
        out += len_field(3, len(frame.data)) + frame.data
    if frame.message:
        text = frame.message.encode("utf-8")
        out += len_field(4, len(text)) + text
    return bytes(out)


def encode_dataframe_list(frames: list[DataFrame]) -> bytes:
    out = bytearray()
    for frame in frames:
        body = encode_dataframe(frame)
        out += len_field(1, len(body)) + body
    return bytes(out)


def encode_attributes(attributes: Mapping[str, str]) -> bytes:
    return _encode_map(1, attributes)


def decode_dataframe(buf: bytes, where: str = "DataFrame") -> DataFrame:
    return _decode_frame(buf, 0, len(buf), where)


def decode_dataframe_list(buf: bytes) -> list[DataFrame]:
    """A get's answer; an empty body is an empty list (QUEUE-9)."""
    frames: list[DataFrame] = []
    for number, wt, a, b in iter_fields(buf, 0, len(buf), "DataFrameList"):
        if number == 1:
            _expect(wt, WT_LEN, "DataFrameList", number)
            frames.append(_decode_frame(buf, a, b, f"DataFrameList item {len(frames)}"))
    return frames


def decode_attributes(buf: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for number, wt, a, b in iter_fields(buf, 0, len(buf), "Attributes"):
        if number == 1:
            _expect(wt, WT_LEN, "Attributes", number)
            key, value = _decode_entry(buf, a, b, "Attributes")
            out[key] = value
    return out


def _decode_frame(buf: bytes, start: int, end: int, where: str) -> DataFrame:
    index, tags, data, message = 0, {}, b"", ""
    for number, wt, a, b in iter_fields(buf, start, end, where):
        if number == 1:
            _expect(wt, WT_VARINT, where, number)
            index = a
        elif number == 2:
            _expect(wt, WT_LEN, where, number)
            key, value = _decode_entry(buf, a, b, where)
            tags[key] = value
        elif number == 3:
            _expect(wt, WT_LEN, where, number)
            data = bytes(buf[a:b])
        elif number == 4:
            _expect(wt, WT_LEN, where, number)
            message = _text(buf, a, b, where, "message")
    return DataFrame(index, tags, data, message)


def _decode_entry(buf: bytes, start: int, end: int, where: str) -> tuple[str, str]:
    key = value = ""
    for number, wt, a, b in iter_fields(buf, start, end, where):
        if number in (1, 2):
            _expect(wt, WT_LEN, f"{where} map entry", number)
            text = _text(buf, a, b, where, "map key" if number == 1 else "map value")
            key, value = (text, value) if number == 1 else (key, text)
    return key, value


def _encode_map(number: int, entries: Mapping[str, str]) -> bytes:
    out = bytearray()
    for key, value in entries.items():
        k, v = key.encode("utf-8"), value.encode("utf-8")
        entry = len_field(1, len(k)) + k + len_field(2, len(v)) + v  # protobuf writes both, even empty
        out += len_field(number, len(entry)) + entry
    return bytes(out)


def _text(buf: bytes, a: int, b: int, where: str, what: str) -> str:
    try:
        return bytes(buf[a:b]).decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError(f"{where}: {what} is not valid UTF-8") from None


def _expect(wt: int, want: int, where: str, number: int) -> None:
    if wt != want:
        raise PayloadError(f"{where}: field {number} has wire type {wt}, expected {want}")
