"""Reading the golden vectors of spec/vectors/payloads.json into Python inputs (see its description)."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from eas_client.payloads import TFRequest, TFResponse, TorchRequest, TorchResponse
from eas_client.payloads._response import TensorResponse

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "payloads.json"
_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(VECTORS.read_text())["cases"]
    return cases


_PLAIN = (None, "string", "bytes")  # types a Python caller passes as lists, not numpy arrays


def value(v: Any, type_: str | None) -> Any:
    if isinstance(v, list):
        return [value(x, type_) for x in v]
    if type_ == "bytes":
        return base64.b64decode(v)
    if isinstance(v, str) and type_ not in _PLAIN:
        return _SPECIAL[v]
    return v


def feed_array(feed: dict[str, Any], use_numpy: bool = True, layout: str = "c") -> Any:
    """The Python object a caller would pass: a numpy array (of ``type``; a numpy scalar when the
    values are one scalar), or a plain list for an untyped feed, strings and bytes. ``layout`` makes
    the same values in another memory layout (Python-only tests, tests/payloads/test_layouts.py)."""
    type_ = feed.get("type")
    values = value(feed["values"], type_)
    if type_ in _PLAIN or not use_numpy:
        return values
    arr = np.array(values, dtype=type_)
    if arr.ndim == 0:
        return arr[()]
    if layout == "big-endian":
        arr = arr.astype(arr.dtype.newbyteorder(">"))
        assert arr.dtype.byteorder == ">"
    elif layout == "strided":  # every other element of a twice-as-wide array: a non-contiguous view
        wide = np.zeros((*arr.shape[:-1], arr.shape[-1] * 2), dtype=arr.dtype)
        wide[..., ::2] = arr
        arr = wide[..., ::2]
        assert not arr.flags.c_contiguous
    elif layout == "fortran":
        arr = np.asfortranarray(arr)
    return arr


def build_request(inp: dict[str, Any], use_numpy: bool = True, layout: str = "c") -> TFRequest | TorchRequest:
    req: TFRequest | TorchRequest
    if inp["kind"] == "tf_request":
        req = TFRequest(inp.get("signature_name"))
    else:
        req = TorchRequest(inp.get("debug_level", 0))
    for feed in inp.get("feeds", []):
        key = feed["name"] if "name" in feed else feed["index"]
        if not use_numpy and feed.get("type") not in _PLAIN:
            # the pure-Python path gets the same values as lists, with the dtype stated
            dtype = feed.get("dtype") or feed["type"]
        else:
            dtype = feed.get("dtype")
        arr = feed_array(feed, use_numpy, layout)
        req.add_feed(key, arr, dtype=dtype, shape=feed.get("shape"))
    for fetch in inp.get("fetches", []):
        req.add_fetch(fetch)
    return req


def _json_value(v: Any) -> Any:
    if isinstance(v, (bytes, np.bytes_)):
        return base64.b64encode(bytes(v)).decode()
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        return f
    return int(v)


def _flat(value: Any) -> list[Any]:
    if isinstance(value, np.ndarray):
        return [_json_value(x) for x in value.reshape(-1).tolist()]
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    return [_json_value(value)]


def decode_case(inp: dict[str, Any]) -> dict[str, Any]:
    """Our decoder's view of a response body, in the vectors' JSON form."""
    body = bytes.fromhex(inp["body_hex"])
    cls = TFResponse if inp["kind"] == "tf_response" else TorchResponse
    resp: TensorResponse[Any] = cls.from_body(body)
    return {
        str(k): {"dtype": resp.dtype(k).name, "shape": list(resp.shape(k)), "values": _flat(resp.get(k))}
        for k in resp.keys()
    }
