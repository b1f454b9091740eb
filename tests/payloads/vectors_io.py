"""Reading the golden vectors of spec/vectors/payloads.json into Python inputs (see its description)."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from eas_client.payloads import TFRequest, TFResponse, TorchRequest, TorchResponse

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "payloads.json"
_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(VECTORS.read_text())["cases"]
    return cases


def value(v: Any, input_dtype: str) -> Any:
    if isinstance(v, list):
        return [value(x, input_dtype) for x in v]
    if input_dtype == "bytes":
        return base64.b64decode(v)
    if isinstance(v, str) and input_dtype != "str":
        return _SPECIAL[v]
    return v


def feed_array(feed: dict[str, Any], use_numpy: bool = True) -> Any:
    """The Python object a user would pass: a numpy array in the described layout, or a list."""
    input_dtype = feed["input_dtype"]
    values = value(feed["values"], input_dtype)
    if input_dtype in ("list", "bytes", "str") or not use_numpy:
        return values
    layout = feed.get("layout", "c")
    arr = np.array(values, dtype=input_dtype)
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
    return arr[()] if layout == "0-d" else arr


def build_request(inp: dict[str, Any], use_numpy: bool = True) -> TFRequest | TorchRequest:
    req: TFRequest | TorchRequest
    if inp["kind"] == "tf_request":
        req = TFRequest(inp.get("signature_name"))
    else:
        req = TorchRequest(inp.get("debug_level", 0))
    for feed in inp.get("feeds", []):
        key = feed["name"] if "name" in feed else feed["index"]
        if not use_numpy and feed["input_dtype"] not in ("list", "bytes", "str"):
            # the pure-Python path gets the same values as lists, with the dtype stated
            dtype = feed.get("dtype") or feed["input_dtype"]
        else:
            dtype = feed.get("dtype")
        req.add_feed(key, feed_array(feed, use_numpy), dtype=dtype, shape=feed.get("shape"))  # type: ignore[arg-type]
    for fetch in inp.get("fetches", []):
        req.add_fetch(fetch)  # type: ignore[arg-type]
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
    resp = (TFResponse if inp["kind"] == "tf_response" else TorchResponse).from_body(body)
    return {
        str(k): {"dtype": resp.dtype(k).name, "shape": list(resp.shape(k)), "values": _flat(resp.get(k))}
        for k in resp.keys()
    }
