"""One tensor ↔ one ArrayProto, shared by the TensorFlow and PyTorch payloads.

numpy is imported on first use, not at import time: ``import eas_client`` stays cheap, and the
pure-Python codec takes over when numpy is missing. Neither path imports the protobuf runtime.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from .._core.errors import PayloadError
from ._dtypes import FIELD_DEFAULT_DTYPE, WIRE, DataType
from ._wire import len_field, parse_array, tag, varint

_codec: ModuleType | None = None


def codec() -> ModuleType:
    """The numpy codec when numpy imports, else the pure-Python one (tests swap it via ``use_codec``)."""
    global _codec
    if _codec is None:
        try:
            _codec = importlib.import_module("eas_client.payloads._npcodec")
        except ImportError:
            _codec = importlib.import_module("eas_client.payloads._pycodec")
    return _codec


def use_codec(name: str | None) -> None:
    """Force "numpy" or "python" (None: back to automatic). For tests and benchmarks."""
    global _codec
    modules = {"numpy": "_npcodec", "python": "_pycodec"}
    _codec = None if name is None else importlib.import_module(f"eas_client.payloads.{modules[name]}")


@dataclass(frozen=True)
class EncodedArray:
    """An ArrayProto ready to frame: header bytes + payload parts, joined once in ``to_body``."""

    parts: tuple[bytes | memoryview, ...]
    size: int


def encode_array(where: str, value: object, dtype: object, shape: object, allow_bool: bool) -> EncodedArray:
    dt, dims, payload = codec().prepare(where, value, dtype, shape, allow_bool)
    head = bytearray(tag(1, 0) + varint(dt))
    if dims:
        packed = b"".join(varint(d) for d in dims)
        inner = len_field(1, len(packed)) + packed
        head += len_field(2, len(inner)) + inner
    field = WIRE[dt][0]
    parts: list[bytes | memoryview] = [bytes(head)]
    if isinstance(payload, list):
        parts.extend(len_field(field, len(s)) + s for s in payload)
    elif len(payload):
        parts.append(len_field(field, len(payload)))
        parts.append(payload)
    return EncodedArray(tuple(parts), sum(len(p) for p in parts))


def frame(field_number: int, parts: list[bytes | memoryview], size: int) -> list[bytes | memoryview]:
    """Wrap already-encoded parts as one length-delimited field."""
    return [len_field(field_number, size), *parts]


def map_entry(field_number: int, key: str, arr: EncodedArray) -> tuple[list[bytes | memoryview], int]:
    """A ``map<string, ArrayProto>`` entry: key (1) and value (2), both always written."""
    k = key.encode("utf-8")
    head = len_field(1, len(k)) + k + len_field(2, arr.size)
    inner = [head, *arr.parts]
    size = len(head) + arr.size
    parts = frame(field_number, inner, size)
    return parts, len(parts[0]) + size


@dataclass(frozen=True)
class Tensor:
    """A decoded output: its dtype, shape and values (numpy array, or nested lists without numpy)."""

    dtype: DataType
    shape: tuple[int, ...]
    value: Any


def decode_array(where: str, buf: bytes, start: int, end: int, allow_bool: bool) -> Tensor:
    raw = parse_array(buf, start, end, where, allow_bool)
    try:
        dtype = DataType(raw.dtype)
    except ValueError:
        raise PayloadError(f"{where}: unknown dtype {raw.dtype}") from None
    if dtype == DataType.DT_INVALID:  # a server that left dtype unset: read what field it filled
        filled = [f for f in sorted(raw.chunks) if f in FIELD_DEFAULT_DTYPE]
        dtype = FIELD_DEFAULT_DTYPE[filled[0]] if filled else DataType.DT_FLOAT
    if dtype not in WIRE or (dtype == DataType.DT_BOOL and not allow_bool):
        raise PayloadError(f"{where}: dtype {dtype.name} is not supported in responses")
    field = WIRE[dtype][0]
    c = codec()
    flat = c.decode(where, buf, raw, dtype, field)
    count = len(flat)
    if any(d < 0 for d in raw.dims):
        raise PayloadError(f"{where}: array_shape {raw.dims} has a negative dimension")
    # No dims: a scalar if there is one value, else a vector (servers that omit the shape).
    dims = tuple(raw.dims) if raw.dims else (() if count == 1 else (count,))
    return Tensor(dtype, dims, c.reshape(where, flat, dims))
