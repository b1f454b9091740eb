"""PyTorch processor payloads: ``TorchRequest`` → pytorch.eas.PredictRequest, bytes → ``TorchResponse``.

Wire messages: spec/proto/pytorch_predict.proto. Same tensor encoding as TensorFlow, except that
the PyTorch processor has no bool tensors (no bool_val field).
"""

from __future__ import annotations

from typing import Any

from .._core.errors import PayloadError
from .._core.payload import CT_BYTES
from ._response import TensorResponse
from ._tensor import EncodedArray, Tensor, decode_array, encode_array, frame, map_entry
from ._wire import WT_LEN, iter_fields, len_field, parse_map_entry, tag, varint

_WHERE = "Torch response"
_EMPTY = EncodedArray((), 0)


class TorchResponse(TensorResponse["int | str"]):
    """Outputs of a PyTorch processor: ``get(0)`` for positional outputs, ``get("name")`` for
    ``map_outputs``.

    Example::

        resp = client.predict(req)  # a TorchResponse
        logits = resp.get(0)  # numpy.ndarray
    """

    _kind = "Torch response"

    @classmethod
    def from_body(cls, body: bytes) -> TorchResponse:
        """Decode a pytorch.eas.PredictResponse body; a malformed one raises PayloadError."""
        body = bytes(body)
        tensors: dict[int | str, Tensor] = {}
        index = 0
        for number, wt, a, b in iter_fields(body, 0, len(body), _WHERE):
            if number == 1 and wt == WT_LEN:
                tensors[index] = decode_array(f"{_WHERE} output {index}", body, a, b, False)
                index += 1
            elif number == 2 and wt == WT_LEN:
                name, (va, vb) = parse_map_entry(body, a, b, _WHERE)
                tensors.pop(name, None)
                tensors[name] = decode_array(f"{_WHERE} output {name!r}", body, va, vb, False)
        return cls(tensors)


class TorchRequest:
    """A request for the EAS PyTorch processor.

    Example::

        import numpy as np
        from eas_client.payloads import TorchRequest

        req = TorchRequest()
        req.add_feed(0, np.ones((1, 3, 224, 224), dtype=np.float32))  # the model's 1st argument
        req.add_fetch(0)
        resp = client.predict(req)  # -> TorchResponse
        out = resp.get(0)

    ``add_feed(index, ...)`` with an int fills ``inputs[index]`` (gaps are sent as empty tensors,
    as the official SDK does); with a str it fills ``map_inputs[name]``. Dtypes as for TFRequest,
    except bool: cast to uint8.
    """

    content_type = CT_BYTES

    def __init__(self, debug_level: int = 0) -> None:
        self.debug_level = debug_level
        self._inputs: dict[int, EncodedArray] = {}
        self._map_inputs: dict[str, EncodedArray] = {}
        self._fetches: list[int] = []

    def add_feed(self, index: int | str, array: Any, dtype: Any = None, shape: Any = None) -> TorchRequest:
        """Set the positional input ``index`` (int) or the named input ``index`` (str)."""
        if isinstance(index, str):
            self._map_inputs[index] = encode_array(f"feed {index!r}", array, dtype, shape, False)
        elif isinstance(index, int) and not isinstance(index, bool) and 0 <= index < 1 << 20:
            self._inputs[index] = encode_array(f"feed {index}", array, dtype, shape, False)
        else:
            raise PayloadError(f"feed index must be an int in [0, 2**20) or a str name, got {index!r}")
        return self

    def add_fetch(self, index: int) -> TorchRequest:
        """Ask for the output ``index`` only (no fetches: every output)."""
        if not isinstance(index, int) or isinstance(index, bool) or not -(2**31) <= index < 2**31:
            raise PayloadError(f"fetch index must be an int32, got {index!r}")
        self._fetches.append(index)
        return self

    def to_body(self) -> bytes:
        """The serialized pytorch.eas.PredictRequest."""
        parts: list[bytes | memoryview] = []
        count = max(self._inputs) + 1 if self._inputs else 0
        for i in range(count):
            arr = self._inputs.get(i, _EMPTY)
            parts += frame(1, list(arr.parts), arr.size)
        if self._fetches:
            packed = b"".join(varint(f) for f in self._fetches)
            parts += [len_field(2, len(packed)), packed]
        for name, arr in self._map_inputs.items():
            parts += map_entry(3, name, arr)[0]
        if self.debug_level:
            parts += [tag(100, 0), varint(self.debug_level)]
        return b"".join(parts)

    def parse_response(self, body: bytes) -> TorchResponse:
        """Decode the processor's answer (called by ``predict``)."""
        return TorchResponse.from_body(body)

    def __repr__(self) -> str:
        feeds = [*sorted(self._inputs), *self._map_inputs]
        return f"TorchRequest(feeds={feeds}, fetches={self._fetches})"
