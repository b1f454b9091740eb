"""Protobuf wire format, just enough for ArrayProto and the Predict messages (no protobuf runtime).

The walker loops once per *field*, never per tensor element: a packed field is one length-delimited
record whose payload the value codecs (numpy or pure Python) turn into values in one go.

Encoding rules that keep our bytes identical to protobuf's own serializer for the same message:
fields in field-number order; proto3 defaults (dtype 0, empty string, empty repeated) are omitted;
``array_shape`` only when it has dims; a map entry always carries its key and value.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .._core.errors import PayloadError

WT_VARINT, WT_I64, WT_LEN, WT_I32 = 0, 1, 2, 5
MAX_VARINT_BYTES = 10
_U64 = (1 << 64) - 1


def varint(value: int) -> bytes:
    """Unsigned LEB128; negative int32/int64 values go out as their 64-bit two's complement (10 bytes)."""
    value &= _U64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def tag(field_number: int, wire_type: int) -> bytes:
    return varint((field_number << 3) | wire_type)


def len_field(field_number: int, payload_len: int) -> bytes:
    """Header of a length-delimited field; the caller appends ``payload_len`` bytes after it."""
    return tag(field_number, WT_LEN) + varint(payload_len)


def read_varint(buf: bytes, pos: int, end: int, where: str) -> tuple[int, int]:
    result = shift = 0
    for i in range(pos, min(end, pos + MAX_VARINT_BYTES)):
        b = buf[i]
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & _U64, i + 1
        shift += 7
    if end - pos >= MAX_VARINT_BYTES:
        raise PayloadError(f"{where}: malformed varint (longer than 10 bytes) at byte {pos}")
    raise PayloadError(f"{where}: truncated body (varint runs past the end at byte {pos})")


def iter_fields(buf: bytes, pos: int, end: int, where: str) -> Iterator[tuple[int, int, int, int]]:
    """Yield ``(field, wire_type, a, b)``: for a varint ``a`` is the value; otherwise the payload is
    ``buf[a:b]``. Groups (wire types 3/4) are refused: no EAS message uses them."""
    while pos < end:
        key, pos = read_varint(buf, pos, end, where)
        number, wt = key >> 3, key & 7
        if number == 0:
            raise PayloadError(f"{where}: invalid field number 0 at byte {pos}")
        if wt == WT_VARINT:
            value, pos = read_varint(buf, pos, end, where)
            yield number, wt, value, pos
            continue
        if wt == WT_LEN:
            size, pos = read_varint(buf, pos, end, where)
            stop = pos + size
        elif wt == WT_I64:
            stop = pos + 8
        elif wt == WT_I32:
            stop = pos + 4
        else:
            raise PayloadError(f"{where}: unsupported wire type {wt} for field {number} at byte {pos}")
        if stop > end:
            raise PayloadError(f"{where}: truncated body (field {number} needs {stop - end} more bytes)")
        yield number, wt, pos, stop
        pos = stop


@dataclass
class RawArray:
    """One ArrayProto located in a body: offsets only, no values decoded yet."""

    dtype: int = 0
    dims: list[int] = field(default_factory=list)
    # value field → payload slices, in wire order (a field may repeat: packed chunks or unpacked)
    chunks: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


# Wire types a value field may legally use: packed (LEN), or one element per record.
_ELEMENT_WT = {3: WT_I32, 4: WT_I64, 5: WT_VARINT, 7: WT_VARINT, 8: WT_VARINT}


def parse_array(buf: bytes, start: int, end: int, where: str, allow_bool: bool) -> RawArray:
    arr = RawArray()
    for number, wt, a, b in iter_fields(buf, start, end, where):
        if number == 1 and wt == WT_VARINT:
            arr.dtype = a  # last one wins, as in protobuf
        elif number == 2 and wt == WT_LEN:
            arr.dims.extend(_parse_shape(buf, a, b, where))  # repeated sub-messages merge
        elif number == 6 and wt == WT_LEN:
            arr.chunks.setdefault(6, []).append((a, b))
        elif number in _ELEMENT_WT and (number != 8 or allow_bool):
            if wt == WT_LEN or wt == _ELEMENT_WT[number]:
                span = (_varint_start(buf, b), b) if wt == WT_VARINT else (a, b)
                arr.chunks.setdefault(number, []).append(span)
            else:
                raise PayloadError(f"{where}: field {number} has wire type {wt}")
        elif number <= 8:
            raise PayloadError(f"{where}: field {number} has wire type {wt}")
        # Unknown fields are skipped, as protobuf does.
    return arr


def _varint_start(buf: bytes, end: int) -> int:
    """Start of the varint that ends at ``end``: every byte of a varint but its last has the high bit
    set, and the byte before it ends the tag (high bit clear). Keeps non-canonical varints intact."""
    start = end - 1
    while buf[start - 1] & 0x80:
        start -= 1
    return start


def _parse_shape(buf: bytes, start: int, end: int, where: str) -> list[int]:
    dims: list[int] = []
    for number, wt, a, b in iter_fields(buf, start, end, where):
        if number != 1:
            continue
        if wt == WT_VARINT:
            dims.append(a)
        elif wt == WT_LEN:
            pos = a
            while pos < b:
                value, pos = read_varint(buf, pos, b, where)
                dims.append(value)
        else:
            raise PayloadError(f"{where}: array_shape.dim has wire type {wt}")
    # int64 dims: two's complement back to signed, so a -1 is reported as -1.
    return [d - (1 << 64) if d >> 63 else d for d in dims]


def parse_map_entry(buf: bytes, start: int, end: int, where: str) -> tuple[str, tuple[int, int]]:
    """A ``map<string, ArrayProto>`` entry → (key, value slice); missing parts default to empty."""
    key_span, value = (start, start), (start, start)
    for number, wt, a, b in iter_fields(buf, start, end, where):
        if number == 1 and wt == WT_LEN:
            key_span = (a, b)
        elif number == 2 and wt == WT_LEN:
            value = (a, b)
    try:
        key = buf[key_span[0] : key_span[1]].decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError(f"{where}: map key is not valid UTF-8") from None
    return key, value


def joined(buf: bytes, spans: list[tuple[int, int]]) -> bytes | memoryview:
    """The payload of a value field; a single packed chunk is returned as a view (no copy)."""
    if len(spans) == 1:
        a, b = spans[0]
        return memoryview(buf)[a:b]
    return b"".join(buf[a:b] for a, b in spans)
