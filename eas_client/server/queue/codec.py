"""DataFrame protobufs of the queue service (spec/proto/queueservice.proto), as the runtime
speaks them: the client's own codec (``eas_client._core.dataframe``, QUEUE-5), with map entries
written in sorted key order so the runtime's bytes match protobuf's deterministic serializer
(protobuf's order differs only where one key is a prefix of another; map order carries no
meaning on the wire).

Example::

    >>> body = encode_frame(Frame(index=3, tags={"requestId": "r1"}, data=b"hi"))
    >>> decode_frame(body)
    DataFrame(index=3, tags={'requestId': 'r1'}, data=b'hi', message='')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from ..._core.dataframe import DataFrame as Frame
from ..._core.dataframe import (
    decode_attributes,
    decode_dataframe,
    decode_dataframe_list,
    encode_dataframe,
    encode_dataframe_list,
)
from ..._core.dataframe import encode_attributes as _encode_attributes

__all__ = [
    "Frame",
    "decode_attributes",
    "decode_frame",
    "decode_list",
    "encode_attributes",
    "encode_frame",
    "encode_list",
]


def _sorted(items: Mapping[str, str]) -> dict[str, str]:
    return {key: items[key] for key in sorted(items)}


def _in_order(frame: Frame) -> Frame:
    return replace(frame, tags=_sorted(frame.tags))


def encode_frame(frame: Frame) -> bytes:
    """One DataFrameProto, as a watch frame carries it."""
    return encode_dataframe(_in_order(frame))


def encode_list(frames: Iterable[Frame]) -> bytes:
    """A DataFrameListProto (the answer to a get); no frames is an empty body."""
    return encode_dataframe_list([_in_order(frame) for frame in frames])


def encode_attributes(attributes: Mapping[str, str]) -> bytes:
    """An AttributesProto."""
    return _encode_attributes(_sorted(attributes))


def decode_frame(buf: bytes) -> Frame:
    """A DataFrameProto; unknown fields are skipped, a malformed body raises PayloadError."""
    return decode_dataframe(buf)


def decode_list(buf: bytes) -> list[Frame]:
    """A DataFrameListProto; an empty body is an empty list."""
    return decode_dataframe_list(buf)
