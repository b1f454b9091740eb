"""The numpy fast path: tensors ↔ packed wire payloads without one Python object per element.

float/double payloads are the array's little-endian bytes as they are (a view when the input is
already contiguous little-endian); varint fields are encoded and decoded with vectorised byte
arithmetic; responses are mapped with ``numpy.frombuffer`` over the body (read-only views).
Imported only when numpy is installed (see _tensor.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .._core.errors import PayloadError
from ._dtypes import FROM_NUMPY, WIRE, DataType, check_shape, parse_dtype
from ._wire import MAX_VARINT_BYTES, RawArray, joined

NDArray = npt.NDArray[Any]


def prepare(
    where: str, value: object, dtype: object, shape: object, allow_bool: bool
) -> tuple[DataType, tuple[int, ...], bytes | memoryview | list[bytes]]:
    """``value`` → (dtype, dims, packed payload or list of strings)."""
    arr = _as_array(where, value)
    want = _infer(where, arr) if dtype is None else parse_dtype(where, dtype)
    if want == DataType.DT_BOOL and not allow_bool:
        raise PayloadError(f"{where}: the PyTorch processor has no bool tensors; send astype(uint8) instead")
    dims = check_shape(where, arr.size, arr.shape, shape)
    if want == DataType.DT_STRING:
        return want, dims, _strings(where, arr)
    if arr.dtype.kind == "O" and not (arr.size and isinstance(arr.flat[0], (str, bytes))):
        raise PayloadError(f"{where}: object arrays are not supported; only strings may be objects")
    if arr.dtype.kind in "USO":
        raise PayloadError(f"{where}: strings cannot be sent as {want.name}")
    if want in (DataType.DT_FLOAT, DataType.DT_DOUBLE):
        if arr.dtype.kind not in "biuf":
            raise PayloadError(f"{where}: {arr.dtype} values cannot be sent as {want.name}")
        # One conversion at most: big-endian, strided, Fortran-ordered or other-typed input.
        narrowing = want == DataType.DT_FLOAT and arr.dtype.itemsize > 4
        with np.errstate(over="ignore"):
            wire = np.ascontiguousarray(arr, dtype="<f4" if want == DataType.DT_FLOAT else "<f8")
        if narrowing and (np.isinf(wire) & ~np.isinf(arr)).any():  # PAYLOAD-8: refuse, never round to inf
            raise PayloadError(f"{where}: a value is out of the float32 range")
        return want, dims, wire.reshape(-1).view(np.uint8).data
    if want == DataType.DT_BOOL:
        if arr.dtype.kind != "b":
            raise PayloadError(f"{where}: {arr.dtype} values cannot be sent as DT_BOOL; compare to get bools")
        # astype, not view: a bool array made from raw bytes may hold 2..255, protobuf writes 1.
        return want, dims, arr.reshape(-1).astype(np.uint8).data
    return want, dims, encode_varints(_checked_ints(where, arr, want))


def _as_array(where: str, value: object) -> NDArray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(_first_leaf(value), (str, bytes)):
        # Not numpy's "S"/"U" dtypes: those drop trailing NUL bytes, which binary strings may end with.
        return np.array(value, dtype=object)
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # numpy ≥1.24 refuses ragged nesting
        raise PayloadError(f"{where}: ragged or inhomogeneous nested lists ({exc})") from None
    if arr.dtype.kind == "O":
        if not isinstance(value, (list, tuple)):
            raise PayloadError(f"{where}: cannot send a {type(value).__name__}")
        raise PayloadError(f"{where}: mixed element types (or ints beyond int64) cannot form a tensor")
    if arr.dtype.kind in "US":  # numpy turned numbers into text: let _strings() refuse the non-strings
        return np.array(value, dtype=object)
    return arr


def _first_leaf(value: object) -> object:
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    return value


def _infer(where: str, arr: NDArray) -> DataType:
    if arr.dtype.kind in "US":
        return DataType.DT_STRING
    if arr.dtype.kind == "O":
        return DataType.DT_STRING  # checked element by element in _strings()
    found = FROM_NUMPY.get(arr.dtype.name)
    if found is None:
        raise PayloadError(
            f"{where}: numpy dtype {arr.dtype} is not supported by EAS; convert it (e.g. astype(float32)) "
            "or pass dtype=… explicitly"
        )
    return found


def _strings(where: str, arr: NDArray) -> list[bytes]:
    out: list[bytes] = []
    for item in arr.reshape(-1).tolist():  # strings are per-element objects anyway
        if isinstance(item, str):
            out.append(item.encode("utf-8", "surrogatepass"))
        elif isinstance(item, bytes):
            out.append(item)
        else:
            raise PayloadError(f"{where}: DT_STRING values must be str or bytes, got {type(item).__name__}")
    return out


def _checked_ints(where: str, arr: NDArray, want: DataType) -> NDArray:
    if arr.dtype.kind not in "biu":
        raise PayloadError(
            f"{where}: {arr.dtype} values cannot be sent as {want.name} without rounding; "
            "round and astype() them first"
        )
    bounds = WIRE[want][2]
    assert bounds is not None
    if arr.size and arr.dtype.kind != "b" and (arr.min() < bounds[0] or arr.max() > bounds[1]):
        raise PayloadError(f"{where}: values outside the {want.name} range {list(bounds)}")
    # Sign-extend to 64 bits: a negative int32 is a 10-byte varint on the wire, as protobuf writes it.
    return np.asarray(arr, dtype=np.int64).reshape(-1).view(np.uint64)


def encode_varints(u: NDArray) -> bytes:
    """Vectorised LEB128 of uint64 values: one byte column per 7 bits, then keep each row's prefix."""
    if u.size == 0:
        return b""
    if int(u.max()) < 0x80:  # the common case for small ints, bools and dims: one byte each
        return u.astype(np.uint8).tobytes()
    nbytes = np.ones(u.shape, dtype=np.intp)
    rest = u >> np.uint64(7)
    while True:
        more = rest != 0
        if not more.any():
            break
        nbytes += more
        rest >>= np.uint64(7)
    width = int(nbytes.max())
    cols = np.empty((u.size, width), dtype=np.uint8)
    rest = u.copy()
    for k in range(width):
        cols[:, k] = (rest & np.uint64(0x7F)).astype(np.uint8) | 0x80
        rest >>= np.uint64(7)
    cols[np.arange(u.size), nbytes - 1] &= 0x7F
    return cols[np.arange(width) < nbytes[:, None]].tobytes()


def decode_varints(where: str, raw: bytes | memoryview) -> NDArray:
    """Vectorised inverse of encode_varints; malformed or truncated input raises PayloadError."""
    b = np.frombuffer(raw, dtype=np.uint8)
    if b.size == 0:
        return np.zeros(0, dtype=np.uint64)
    last = b < 0x80
    if last.all():
        return b.astype(np.uint64)
    if not last[-1]:
        raise PayloadError(f"{where}: truncated packed varints (the last value has no end)")
    ends = np.flatnonzero(last)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1
    if int(lengths.max()) > MAX_VARINT_BYTES:
        raise PayloadError(f"{where}: malformed varint (longer than 10 bytes)")
    pos = np.arange(b.size) - np.repeat(starts, lengths)
    parts = (b & 0x7F).astype(np.uint64) << (pos.astype(np.uint64) * np.uint64(7))
    out: NDArray = np.bitwise_or.reduceat(parts, starts)
    return out


def decode(where: str, buf: bytes, raw: RawArray, dtype: DataType, count_field: int) -> NDArray:
    """Values of ``raw`` as a numpy array of the dtype's element type (flat; caller reshapes)."""
    spans = raw.chunks.get(count_field, [])
    kind = WIRE[dtype][1]
    if dtype == DataType.DT_STRING:
        out = np.empty(len(spans), dtype=object)
        for i, (a, b) in enumerate(spans):
            out[i] = buf[a:b]
        return out
    payload = joined(buf, spans) if spans else b""
    if dtype in (DataType.DT_FLOAT, DataType.DT_DOUBLE):
        wire = "<f4" if dtype == DataType.DT_FLOAT else "<f8"
        if len(payload) % np.dtype(wire).itemsize:
            raise PayloadError(f"{where}: {dtype.name} payload of {len(payload)} bytes is not whole values")
        flat: NDArray = np.frombuffer(payload, dtype=wire)
        return flat if flat.dtype.isnative else flat.astype(kind)
    u = decode_varints(where, payload)
    if dtype == DataType.DT_BOOL:
        nonzero: NDArray = u != 0
        return nonzero
    # int_val is int32 on the wire: truncate as protobuf does, then narrow to the declared type.
    signed = u.view(np.int64)
    if count_field == 5:
        signed = signed.astype(np.int32)
    return signed.astype(kind, copy=False)


def reshape(where: str, flat: NDArray, dims: tuple[int, ...]) -> NDArray:
    try:
        shaped: NDArray = flat.reshape(dims)
        return shaped
    except (ValueError, OverflowError):
        raise PayloadError(f"{where}: shape {list(dims)} does not fit {flat.size} values") from None
