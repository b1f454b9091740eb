"""The request/response API surface: dtype spellings, chaining, replacement, reading helpers."""

from __future__ import annotations

import numpy as np
import pytest

from eas_client.payloads import (
    DataType,
    TFRequest,
    TFResponse,
    TorchRequest,
    TorchResponse,
    decode_tf_request,
    encode_tf_response,
)
from tests.payloads._pb import pytorch_predict_pb2 as torch_pb


@pytest.mark.parametrize(
    "spelling",
    ["float", "float32", "DT_FLOAT", "dt_float", DataType.DT_FLOAT, 1, np.float32, np.dtype("float32")],
)
def test_every_dtype_spelling_means_the_same(spelling: object) -> None:
    assert TFRequest().add_feed("x", [1, 2], dtype=spelling).to_body() == bytes.fromhex(
        "12160a01781211080112030a01021a080000803f00000040"
    )


@pytest.mark.parametrize("spelling", ["string", "str", "bytes", str, bytes, DataType.DT_STRING])
def test_string_spellings(spelling: object) -> None:
    assert TFRequest().add_feed("x", ["a"], dtype=spelling).to_body() == bytes.fromhex(
        "120f0a0178120a080712030a0101320161"
    )


def test_a_replaced_feed_keeps_its_place_and_takes_the_new_value() -> None:
    req = TFRequest().add_feed("a", [1.0]).add_feed("b", [2.0]).add_feed("a", [3.0])
    data = decode_tf_request(req.to_body())
    assert data.inputs.keys() == ["a", "b"]
    assert data.inputs.get("a").tolist() == [3.0]


def test_decode_tf_request_reads_signature_fetches_and_feeds() -> None:
    body = TFRequest("sig").add_feed("x", np.eye(2, dtype=np.int16)).add_fetch("y").add_fetch("z").to_body()
    data = decode_tf_request(body)
    assert (data.signature_name, data.fetches) == ("sig", ["y", "z"])
    assert data.inputs.dtype("x") == DataType.DT_INT16 and data.inputs.get("x").dtype == np.int16
    np.testing.assert_array_equal(data.inputs.get("x"), np.eye(2))


def test_response_helpers() -> None:
    resp = TFResponse.from_body(encode_tf_response({"b": [1, 2], "a": 3.5}))
    assert resp.keys() == ["b", "a"] and list(resp) == ["b", "a"] and len(resp) == 2
    assert "a" in resp and "c" not in resp
    assert resp.shape("a") == () and resp.dtype("a") == DataType.DT_DOUBLE
    assert repr(resp) == "TFResponse({'b': DT_INT64[2], 'a': DT_DOUBLE[]})"


def test_torch_response_reads_positional_and_named_outputs() -> None:
    msg = torch_pb.PredictResponse()
    msg.outputs.add(dtype=torch_pb.DT_INT32, int_val=[1, 2])
    msg.outputs.add(dtype=torch_pb.DT_DOUBLE, double_val=[0.5])
    msg.map_outputs["n"].CopyFrom(torch_pb.ArrayProto(dtype=torch_pb.DT_STRING, string_val=[b"x", b"y"]))
    resp = TorchResponse.from_body(msg.SerializeToString())
    assert resp.keys() == [0, 1, "n"]
    assert resp.get(0).tolist() == [1, 2] and resp.get(1) == 0.5 and resp.get("n").tolist() == [b"x", b"y"]


def test_requests_chain_and_describe_themselves() -> None:
    req = TorchRequest(debug_level=2).add_feed(1, [1]).add_feed("m", [2]).add_fetch(0)
    assert repr(req) == "TorchRequest(feeds=[1, 'm'], fetches=[0])"
    assert req.content_type == TFRequest.content_type == "application/octet-stream"
    assert repr(TFRequest("s").add_feed("x", 1)) == "TFRequest(signature_name='s', feeds=['x'], fetches=[])"
    assert req.to_body().endswith(bytes.fromhex("a00602"))  # debug_level = field 100, varint 2
