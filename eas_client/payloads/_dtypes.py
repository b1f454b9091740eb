"""Tensor element types: the EAS ``ArrayDataType`` enum and how each maps to the wire.

Rule (reference §4): float → float_val (3, fixed32), double → double_val (4, fixed64), the small
integer types → int_val (5, varint), int64 → int64_val (7), string → string_val (6, bytes),
bool → bool_val (8, TensorFlow only).
"""

from __future__ import annotations

import enum
import math
from typing import Any

from .._core.errors import PayloadError


class DataType(enum.IntEnum):
    """``ArrayDataType`` of spec/proto/tf_predict.proto (identical in pytorch_predict.proto).

    Example::

        from eas_client.payloads import DataType, TFRequest

        TFRequest().add_feed("x", [1, 2, 3], dtype=DataType.DT_INT32)
    """

    DT_INVALID = 0
    DT_FLOAT = 1
    DT_DOUBLE = 2
    DT_INT32 = 3
    DT_UINT8 = 4
    DT_INT16 = 5
    DT_INT8 = 6
    DT_STRING = 7
    DT_COMPLEX64 = 8
    DT_INT64 = 9
    DT_BOOL = 10
    DT_QINT8 = 11
    DT_QUINT8 = 12
    DT_QINT32 = 13
    DT_BFLOAT16 = 14
    DT_QINT16 = 15
    DT_QUINT16 = 16
    DT_UINT16 = 17
    DT_COMPLEX128 = 18
    DT_HALF = 19
    DT_RESOURCE = 20
    DT_VARIANT = 21


F_DTYPE, F_SHAPE, F_FLOAT, F_DOUBLE, F_INT, F_STRING, F_INT64, F_BOOL = 1, 2, 3, 4, 5, 6, 7, 8

# dtype → (value field, numpy dtype of the decoded values, (min, max) for int_val members)
WIRE: dict[DataType, tuple[int, str, tuple[int, int] | None]] = {
    DataType.DT_FLOAT: (F_FLOAT, "float32", None),
    DataType.DT_DOUBLE: (F_DOUBLE, "float64", None),
    DataType.DT_INT32: (F_INT, "int32", (-(2**31), 2**31 - 1)),
    DataType.DT_UINT8: (F_INT, "uint8", (0, 2**8 - 1)),
    DataType.DT_INT16: (F_INT, "int16", (-(2**15), 2**15 - 1)),
    DataType.DT_INT8: (F_INT, "int8", (-(2**7), 2**7 - 1)),
    DataType.DT_UINT16: (F_INT, "uint16", (0, 2**16 - 1)),
    DataType.DT_INT64: (F_INT64, "int64", (-(2**63), 2**63 - 1)),
    DataType.DT_BOOL: (F_BOOL, "bool", None),
    DataType.DT_STRING: (F_STRING, "object", None),
    # Quantised types travel in int_val like their plain twins; we can read them, not build them.
    DataType.DT_QINT8: (F_INT, "int8", None),
    DataType.DT_QUINT8: (F_INT, "uint8", None),
    DataType.DT_QINT16: (F_INT, "int16", None),
    DataType.DT_QUINT16: (F_INT, "uint16", None),
    DataType.DT_QINT32: (F_INT, "int32", None),
}
SENDABLE = frozenset(
    {
        DataType.DT_FLOAT,
        DataType.DT_DOUBLE,
        DataType.DT_INT32,
        DataType.DT_UINT8,
        DataType.DT_INT16,
        DataType.DT_INT8,
        DataType.DT_UINT16,
        DataType.DT_INT64,
        DataType.DT_BOOL,
        DataType.DT_STRING,
    }
)
# A response whose dtype is DT_INVALID (a server that left it unset) is read by its value field.
FIELD_DEFAULT_DTYPE = {
    F_FLOAT: DataType.DT_FLOAT,
    F_DOUBLE: DataType.DT_DOUBLE,
    F_INT: DataType.DT_INT32,
    F_STRING: DataType.DT_STRING,
    F_INT64: DataType.DT_INT64,
    F_BOOL: DataType.DT_BOOL,
}
# numpy dtype name → DataType, for inference from an array's dtype.
FROM_NUMPY = {
    "float32": DataType.DT_FLOAT,
    "float64": DataType.DT_DOUBLE,
    "int32": DataType.DT_INT32,
    "uint8": DataType.DT_UINT8,
    "int16": DataType.DT_INT16,
    "int8": DataType.DT_INT8,
    "uint16": DataType.DT_UINT16,
    "int64": DataType.DT_INT64,
    "bool": DataType.DT_BOOL,
}
# Names a caller may write for a dtype: every numpy name above plus the short and EAS-style ones.
_ALIASES = {
    **FROM_NUMPY,
    "float": DataType.DT_FLOAT,
    "double": DataType.DT_DOUBLE,
    "int": DataType.DT_INT32,
    "long": DataType.DT_INT64,
    "string": DataType.DT_STRING,
    "str": DataType.DT_STRING,
    "bytes": DataType.DT_STRING,
}


def parse_dtype(where: str, dtype: Any) -> DataType:
    """``dtype`` as a DataType: accepts DataType/int, "float"/"DT_FLOAT"-style names, a numpy dtype
    or type (anything with a ``.name`` or ``__name__`` that is a numpy dtype name), ``str``/``bytes``."""
    if dtype is str or dtype is bytes:
        return DataType.DT_STRING
    if isinstance(dtype, int) and not isinstance(dtype, bool):
        try:
            found = DataType(dtype)
        except ValueError:
            raise PayloadError(f"{where}: dtype {dtype} is not an EAS ArrayDataType") from None
    else:
        name = dtype if isinstance(dtype, str) else getattr(dtype, "name", getattr(dtype, "__name__", ""))
        key = str(name).lower().removeprefix("dt_")
        if key not in _ALIASES:
            raise PayloadError(
                f"{where}: unsupported dtype {dtype!r}; use one of float, double, int8, int16, int32, "
                "int64, uint8, uint16, bool, string"
            )
        found = _ALIASES[key]
    if found not in SENDABLE:
        raise PayloadError(f"{where}: {found.name} cannot be sent; EAS requests carry {_sendable()}")
    return found


def _sendable() -> str:
    return ", ".join(sorted(d.name for d in SENDABLE))


def check_shape(where: str, size: int, natural: tuple[int, ...], shape: object) -> tuple[int, ...]:
    """The shape to send: the value's own (``shape=None``) or the caller's, which must hold exactly
    ``size`` values. Shared by the numpy and the pure-Python codec."""
    if shape is None:
        return tuple(int(d) for d in natural)
    try:
        dims = tuple(int(d) for d in shape)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise PayloadError(f"{where}: shape must be a sequence of ints, got {shape!r}") from None
    if any(d < 0 for d in dims):
        raise PayloadError(f"{where}: shape {list(dims)} has a negative dimension")
    count = math.prod(dims)
    if count != size:
        raise PayloadError(f"{where}: shape {list(dims)} holds {count} values but {size} were given")
    return dims
