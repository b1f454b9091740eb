"""The pure-Python path, used when numpy is not installed: lists and scalars in, nested lists out.

Same wire bytes as the numpy path (the golden vectors run through both); one Python object per
element, so it is for small tensors. Floats use ``struct``, integers a per-element varint loop.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from .._core.errors import PayloadError
from ._dtypes import WIRE, DataType, check_shape, parse_dtype
from ._wire import RawArray, read_varint, varint


def prepare(
    where: str, value: object, dtype: object, shape: object, allow_bool: bool
) -> tuple[DataType, tuple[int, ...], bytes | memoryview | list[bytes]]:
    flat, natural = _flatten(where, value)
    want = _infer(where, flat) if dtype is None else parse_dtype(where, dtype)
    if want == DataType.DT_BOOL and not allow_bool:
        raise PayloadError(f"{where}: the PyTorch processor has no bool tensors; send uint8 0/1 instead")
    dims = check_shape(where, len(flat), natural, shape)
    if want == DataType.DT_STRING:
        if not all(isinstance(v, (str, bytes)) for v in flat):
            raise PayloadError(f"{where}: DT_STRING values must be str or bytes")
        return want, dims, [v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v for v in flat]
    if any(isinstance(v, (str, bytes)) for v in flat):
        raise PayloadError(f"{where}: strings cannot be sent as {want.name}")
    if want in (DataType.DT_FLOAT, DataType.DT_DOUBLE):
        if not all(isinstance(v, (int, float)) for v in flat):
            raise PayloadError(f"{where}: {want.name} values must be numbers")
        code = "f" if want == DataType.DT_FLOAT else "d"
        try:
            return want, dims, struct.pack(f"<{len(flat)}{code}", *flat)
        except OverflowError:  # float32 cannot hold it; numpy would round to inf, say so instead
            raise PayloadError(f"{where}: a value is out of the float32 range") from None
    if want == DataType.DT_BOOL:
        if not all(isinstance(v, bool) for v in flat):
            raise PayloadError(f"{where}: DT_BOOL values must be bools")
        return want, dims, bytes(1 if v else 0 for v in flat)
    if not all(isinstance(v, int) for v in flat):
        raise PayloadError(f"{where}: {want.name} values must be ints (round floats first)")
    lo, hi = WIRE[want][2] or (0, 0)
    if any(v < lo or v > hi for v in flat):
        raise PayloadError(f"{where}: values outside the {want.name} range {[lo, hi]}")
    return want, dims, b"".join(varint(int(v)) for v in flat)


def _flatten(where: str, value: object) -> tuple[list[Any], tuple[int, ...]]:
    if not isinstance(value, (list, tuple)):
        return [value], ()
    if not value:
        return [], (0,)
    children = [_flatten(where, v) for v in value]
    inner = children[0][1]
    if any(c[1] != inner for c in children):
        raise PayloadError(f"{where}: ragged nested lists (sub-lists differ in shape)")
    return [x for c in children for x in c[0]], (len(value), *inner)


def _infer(where: str, flat: list[Any]) -> DataType:
    if all(isinstance(v, bool) for v in flat):
        return DataType.DT_BOOL if flat else DataType.DT_DOUBLE  # numpy infers float64 for []
    if all(isinstance(v, (str, bytes)) for v in flat):
        return DataType.DT_STRING
    if all(isinstance(v, int) for v in flat):
        return DataType.DT_INT64
    if all(isinstance(v, (int, float)) for v in flat):
        return DataType.DT_DOUBLE
    bad = [v for v in flat if not isinstance(v, (bool, int, float, str, bytes))]
    if bad:
        raise PayloadError(f"{where}: cannot send a {type(bad[0]).__name__}")
    raise PayloadError(f"{where}: mixed element types (strings and numbers) cannot form a tensor")


def decode(where: str, buf: bytes, raw: RawArray, dtype: DataType, count_field: int) -> list[Any]:
    spans = raw.chunks.get(count_field, [])
    if dtype == DataType.DT_STRING:
        return [buf[a:b] for a, b in spans]
    payload = b"".join(buf[a:b] for a, b in spans)
    if dtype in (DataType.DT_FLOAT, DataType.DT_DOUBLE):
        size = 4 if dtype == DataType.DT_FLOAT else 8
        if len(payload) % size:
            raise PayloadError(f"{where}: {dtype.name} payload of {len(payload)} bytes is not whole values")
        code = "f" if size == 4 else "d"
        return list(struct.unpack(f"<{len(payload) // size}{code}", payload))
    values: list[int] = []
    pos = 0
    while pos < len(payload):
        v, pos = read_varint(payload, pos, len(payload), where)
        values.append(v)
    if dtype == DataType.DT_BOOL:
        return [v != 0 for v in values]
    bits = 32 if count_field == 5 else 64  # int_val is int32 on the wire: truncate as protobuf does
    out = [_signed(v, bits) for v in values]
    kind = WIRE[dtype][1]
    if kind in ("int8", "int16", "uint8", "uint16"):  # narrow like numpy's astype
        width = int(kind.removeprefix("u").removeprefix("int"))
        out = [_signed(v, width) if kind[0] == "i" else v & ((1 << width) - 1) for v in out]
    return out


def _signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def reshape(where: str, flat: list[Any], dims: tuple[int, ...]) -> Any:
    if math.prod(dims) != len(flat):
        raise PayloadError(f"{where}: shape {list(dims)} does not fit {len(flat)} values")
    if not dims:
        return flat[0]
    if math.prod(dims[:-1]) > max(len(flat), 1 << 20):  # e.g. [2**40, 0]: legal, but not as lists
        raise PayloadError(f"{where}: shape {list(dims)} is too large to build as nested lists")
    return _nest(flat, dims)


def _nest(flat: list[Any], dims: tuple[int, ...]) -> list[Any]:
    if len(dims) == 1:
        return list(flat)
    step = math.prod(dims[1:])
    return [_nest(flat[i * step : (i + 1) * step], dims[1:]) for i in range(dims[0])]
