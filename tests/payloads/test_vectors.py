"""spec/vectors/payloads.json, one test per case (ids ``payloads/<name>``), on the numpy fast path
and on the pure-Python path, each checked against the protobuf runtime's own serializer/parser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import json_format

from eas_client import PayloadError
from eas_client.payloads._tensor import use_codec
from tests.payloads._pb import pytorch_predict_pb2 as torch_pb
from tests.payloads._pb import tf_predict_pb2 as tf_pb

from .vectors_io import _json_value, build_request, decode_case, load_cases

CASES = load_cases()
IDS = [f"payloads/{c['name']}" for c in CASES]


@pytest.fixture(params=["numpy", "python"])
def codec(request: pytest.FixtureRequest) -> Iterator[str]:
    use_codec(request.param)
    yield request.param
    use_codec(None)


def _protobuf_outputs(inp: dict[str, Any]) -> dict[str, Any]:
    """The protobuf runtime's view of the same body (independent of our decoder)."""
    body = bytes.fromhex(inp["body_hex"])
    if inp["kind"] == "tf_response":
        msg: Any = tf_pb.PredictResponse.FromString(body)
        arrays = dict(msg.outputs)
    else:
        msg = torch_pb.PredictResponse.FromString(body)
        arrays = {str(i): a for i, a in enumerate(msg.outputs)} | dict(msg.map_outputs)
    out = {}
    for k, a in arrays.items():
        which = {1: "float_val", 2: "double_val", 9: "int64_val", 10: "bool_val", 7: "string_val"}
        field = which.get(a.dtype, "int_val")
        if a.dtype == 0:
            filled = [f for f in ("float_val", "int_val", "int64_val") if len(getattr(a, f))]
            field = filled[0] if filled else "float_val"  # none filled: DT_FLOAT (PAYLOAD-9)
        out[k] = [_json_value(x) for x in getattr(a, field)]
    return out


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vector(case: dict[str, Any], codec: str) -> None:
    inp, expect = case["input"], case["expect"]
    if inp["kind"].endswith("_request"):
        if "error" in expect:
            with pytest.raises(PayloadError) as info:
                build_request(inp, use_numpy=codec == "numpy").to_body()
            assert "feed" in str(info.value)
            return
        body = build_request(inp, use_numpy=codec == "numpy").to_body()
        assert body.hex() == expect["body_hex"]
        _check_against_protobuf(inp["kind"], body, expect["message"])
        return
    if "error" in expect:
        with pytest.raises(PayloadError):
            decode_case(inp)
        return
    assert decode_case(inp) == expect["outputs"]
    independent = _protobuf_outputs(inp)
    assert {k: v["values"] for k, v in expect["outputs"].items()} == independent


def _check_against_protobuf(kind: str, body: bytes, message: dict[str, Any]) -> None:
    cls: Any = tf_pb.PredictRequest if kind == "tf_request" else torch_pb.PredictRequest
    reference = json_format.ParseDict(message, cls())
    # Compared as deterministic bytes (sorted map keys), not with ==: NaN != NaN in older runtimes.
    parsed = cls.FromString(body)
    assert parsed.SerializeToString(deterministic=True) == reference.SerializeToString(deterministic=True)
    maps = reference.inputs if kind == "tf_request" else reference.map_inputs
    if len(maps) <= 1:  # protobuf's map order is unspecified beyond one entry
        assert reference.SerializeToString() == body


def test_every_case_has_the_shared_shape() -> None:
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names))
    for c in CASES:
        assert set(c) <= {"name", "description", "rules", "input", "expect", "comment"}
        assert c["name"] == c["name"].lower() and " " not in c["name"]
