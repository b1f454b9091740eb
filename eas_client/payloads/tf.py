"""TensorFlow processor payloads: ``TFRequest`` → PredictRequest bytes, bytes → ``TFResponse``.

Wire messages: spec/proto/tf_predict.proto. Encoding and decoding never touch the protobuf
runtime; with numpy, tensors go to and from the wire without per-element Python objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._core.errors import PayloadError
from .._core.payload import CT_BYTES
from ._response import TensorResponse
from ._tensor import EncodedArray, Tensor, decode_array, encode_array, map_entry
from ._wire import WT_LEN, iter_fields, len_field, parse_map_entry

_WHERE = "TF response"


class TFResponse(TensorResponse[str]):
    """Outputs of a TensorFlow processor, by name.

    Example::

        resp = client.predict(req)  # a TFResponse
        probs = resp.get("probabilities")  # numpy.ndarray, e.g. shape (1, 10), float32
        resp.shape("probabilities"), resp.dtype("probabilities"), resp.keys()
    """

    _kind = "TF response"

    @classmethod
    def from_body(cls, body: bytes) -> TFResponse:
        """Decode a PredictResponse body; a malformed one raises PayloadError."""
        body = bytes(body)
        tensors: dict[str, Tensor] = {}
        for number, wt, a, b in iter_fields(body, 0, len(body), _WHERE):
            if number == 1 and wt == WT_LEN:
                name, (va, vb) = parse_map_entry(body, a, b, _WHERE)
                tensors.pop(name, None)  # a repeated key wins but takes its new place
                tensors[name] = decode_array(f"{_WHERE} output {name!r}", body, va, vb, True)
        return cls(tensors)


class TFRequest:
    """A request for the EAS TensorFlow processor.

    Example::

        import numpy as np
        from eas_client import EASClient
        from eas_client.payloads import TFRequest

        req = TFRequest("serving_default")
        req.add_feed("images", np.zeros((1, 784), dtype=np.float32))
        req.add_fetch("scores")
        resp = EASClient(endpoint, token=token).predict(req)  # -> TFResponse
        scores = resp.get("scores")

    Feeds take numpy arrays (any layout or byte order), nested lists or scalars. ``dtype`` converts
    (``"float"``, ``"int32"``, ``DataType.DT_INT64``, ``np.float32``…); ``shape`` overrides the
    array's shape (the number of values must match). Feeds go out in the order they were added.
    A numpy array already in wire layout is read when ``to_body()`` runs: do not modify it before.
    """

    content_type = CT_BYTES

    def __init__(self, signature_name: str | None = None) -> None:
        self.signature_name = signature_name or ""
        self._feeds: dict[str, EncodedArray] = {}
        self._fetches: list[str] = []

    def add_feed(self, name: str, array: Any, dtype: Any = None, shape: Any = None) -> TFRequest:
        """Add (or replace) the input ``name``; returns the request for chaining."""
        if not isinstance(name, str):
            raise PayloadError(f"feed name must be a str, got {type(name).__name__}")
        self._feeds[name] = encode_array(f"feed {name!r}", array, dtype, shape, allow_bool=True)
        return self

    def add_fetch(self, name: str) -> TFRequest:
        """Ask for the output ``name`` only (no fetches: every output of the signature)."""
        if not isinstance(name, str):
            raise PayloadError(f"fetch name must be a str, got {type(name).__name__}")
        self._fetches.append(name)
        return self

    def to_body(self) -> bytes:
        """The serialized PredictRequest (the tensors' bytes are copied once, here)."""
        parts: list[bytes | memoryview] = []
        if self.signature_name:
            sig = self.signature_name.encode("utf-8")
            parts += [len_field(1, len(sig)), sig]
        for name, arr in self._feeds.items():
            parts += map_entry(2, name, arr)[0]
        for fetch in self._fetches:
            f = fetch.encode("utf-8")
            parts += [len_field(3, len(f)), f]
        return b"".join(parts)

    def parse_response(self, body: bytes) -> TFResponse:
        """Decode the processor's answer (called by ``predict``)."""
        return TFResponse.from_body(body)

    def __repr__(self) -> str:
        sig, feeds = self.signature_name, list(self._feeds)
        return f"TFRequest(signature_name={sig!r}, feeds={feeds}, fetches={self._fetches})"


class TFInputs(TensorResponse[str]):
    """The feeds of a decoded PredictRequest, by name (server side; same reading API as TFResponse)."""

    _kind = "TF request"


@dataclass(frozen=True)
class TFRequestData:
    """A PredictRequest as a processor sees it: ``decode_tf_request(body)``."""

    signature_name: str
    inputs: TFInputs
    fetches: list[str]


def decode_tf_request(body: bytes) -> TFRequestData:
    """Decode a TensorFlow PredictRequest body, for processors and test servers.

    Example::

        req = decode_tf_request(data)  # in an allspark processor's process(data)
        x = req.inputs.get("x")  # numpy.ndarray
    """
    body = bytes(body)
    where = "TF request"
    signature = ""
    fetches: list[str] = []
    tensors: dict[str, Tensor] = {}
    for number, wt, a, b in iter_fields(body, 0, len(body), where):
        if wt != WT_LEN:
            continue
        if number == 1 or number == 3:
            try:
                text = body[a:b].decode("utf-8")
            except UnicodeDecodeError:
                raise PayloadError(f"{where}: field {number} is not valid UTF-8") from None
            if number == 1:
                signature = text
            else:
                fetches.append(text)
        elif number == 2:
            name, (va, vb) = parse_map_entry(body, a, b, where)
            tensors.pop(name, None)
            tensors[name] = decode_array(f"{where} feed {name!r}", body, va, vb, True)
    return TFRequestData(signature, TFInputs(tensors), fetches)


def encode_tf_response(outputs: Mapping[str, Any]) -> bytes:
    """Encode a PredictResponse from ``{name: array}`` (dtypes inferred as for ``add_feed``).

    Example::

        return encode_tf_response({"sum": np.float64(6.0)}), 200
    """
    parts: list[bytes | memoryview] = []
    for name, value in outputs.items():
        parts += map_entry(1, name, encode_array(f"output {name!r}", value, None, None, True))[0]
    return b"".join(parts)
