"""Regenerate spec/vectors/payloads.json: ``python -m tests.payloads.make_vectors``.

Request bodies come from our encoder and are then checked by test_vectors.py against the protobuf
runtime (byte-identical where protobuf's map order is defined, equal after parsing otherwise);
``expect.message`` is protobuf's own JSON form of the message it parses from the body.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf import json_format

from eas_client.payloads._pb import pytorch_predict_pb2 as torch_pb
from eas_client.payloads._pb import tf_predict_pb2 as tf_pb

from .vectors_io import VECTORS, build_request, decode_case

DESCRIPTION = (
    "Golden vectors for the TensorFlow and PyTorch protobuf payloads (spec/proto). Encode cases: "
    "input.kind is tf_request or torch_request; input.feeds[] gives name (TF, or Torch map_inputs) "
    "or index (Torch positional), values (nested lists in row-major order; floats NaN, Infinity and "
    "-Infinity as those strings; input_dtype bytes means each value is base64), input_dtype (the "
    "numpy dtype of the caller's array, or list/str/bytes for plain Python values), optional dtype "
    "(the declared EAS dtype), optional shape (overrides the values' shape) and optional layout "
    "(how the caller's array is laid out in memory: big-endian, strided, fortran, 0-d; languages "
    "without such arrays ignore it). expect.body_hex is the exact request body (map entries in "
    "insertion order), expect.message the same message in protobuf's JSON mapping (proto field "
    "names). Decode cases: input.kind is tf_response or torch_response with input.body_hex; "
    "expect.outputs maps each output name (or positional index as a string) to dtype, shape and "
    "flat values in the same encoding. expect.error names the error class a bad input must raise."
)


def feed(key: str | int, values: Any, input_dtype: str, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": key} if isinstance(key, str) else {"index": key}
    out.update(values=values, input_dtype=input_dtype, **extra)
    return out


def tf(name: str, desc: str, feeds: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": desc, "input": {"kind": "tf_request", "feeds": feeds, **extra}}


def torch(name: str, desc: str, feeds: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": desc, "input": {"kind": "torch_request", "feeds": feeds, **extra}}


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


ENCODE = [
    tf(
        "tf-float32-matrix",
        "a 2x3 float32 tensor: float_val, packed fixed32",
        [feed("x", [[0.5, 1.5, -2.0], [0.1, 3.25, 1e-3]], "float32")],
    ),
    tf("tf-float64-vector", "float64 → DT_DOUBLE, double_val", [feed("x", [0.1, -1e300, 2.5], "float64")]),
    tf(
        "tf-int32-negative",
        "int32 with negatives: int_val varints, a negative one is 10 bytes",
        [feed("x", [0, 1, -1, 127, 128, 2147483647, -2147483648], "int32")],
    ),
    tf("tf-int16", "int16 → DT_INT16 in int_val", [feed("x", [-32768, 0, 32767], "int16")]),
    tf("tf-int8", "int8 → DT_INT8 in int_val", [feed("x", [-128, -1, 0, 127], "int8")]),
    tf(
        "tf-uint8",
        "uint8 → DT_UINT8 in int_val (128..255 take two bytes)",
        [feed("x", [0, 127, 128, 255], "uint8")],
    ),
    tf("tf-uint16", "uint16 → DT_UINT16 in int_val", [feed("x", [0, 300, 65535], "uint16")]),
    tf(
        "tf-int64",
        "int64 → DT_INT64, int64_val",
        [feed("x", [0, -1, 9223372036854775807, -9223372036854775808, 1 << 40], "int64")],
    ),
    tf(
        "tf-bool",
        "bool → DT_BOOL, bool_val, one byte each",
        [feed("x", [[True, False], [False, True]], "bool")],
    ),
    tf(
        "tf-string-unicode",
        "str values are sent UTF-8 encoded in string_val",
        [feed("x", ["hello", "", "日本語", "emoji 🙂"], "str")],
    ),
    tf(
        "tf-string-binary",
        "bytes values (base64 here) are sent as they are",
        [feed("x", [b64(b"\x00\xff\x80binary"), b64(b""), b64(b"ends-in-nul\x00")], "bytes")],
    ),
    tf(
        "tf-empty-tensor",
        "a tensor with no elements: the value field is omitted, the shape kept",
        [feed("x", [], "float32", shape=[0, 3])],
    ),
    tf("tf-scalar", "a Python scalar: 0-d, so no array_shape", [feed("x", 7, "list", dtype="DT_INT64")]),
    tf("tf-0d-array", "a numpy 0-d array", [feed("x", 2.5, "float32", layout="0-d")]),
    tf(
        "tf-big-endian",
        "a big-endian input array is converted to little-endian on the wire",
        [feed("x", [[1.0, 2.0], [3.0, -4.5]], "float32", layout="big-endian")],
    ),
    tf(
        "tf-big-endian-int32",
        "big-endian int32 input",
        [feed("x", [1, -2, 300], "int32", layout="big-endian")],
    ),
    tf(
        "tf-strided",
        "a non-contiguous (strided) view is sent in row-major order",
        [feed("x", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "float32", layout="strided")],
    ),
    tf(
        "tf-fortran-order",
        "a Fortran-ordered array is sent in row-major order",
        [feed("x", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "float64", layout="fortran")],
    ),
    tf(
        "tf-nan-inf",
        "NaN, ±Infinity and -0.0 are sent bit-exact",
        [feed("x", ["NaN", "Infinity", "-Infinity", -0.0], "float32")],
    ),
    tf(
        "tf-list-declared-float",
        "a list of floats with dtype float → DT_FLOAT (lists infer float64)",
        [feed("x", [[1.5, 2.5]], "list", dtype="DT_FLOAT")],
    ),
    tf(
        "tf-list-inferred",
        "a list of ints infers DT_INT64, of floats DT_DOUBLE",
        [feed("a", [1, 2, 3], "list"), feed("b", [1.5, 2], "list")],
    ),
    tf(
        "tf-explicit-shape",
        "shape overrides the values' shape (same count)",
        [feed("x", [1, 2, 3, 4, 5, 6], "int32", shape=[2, 3])],
    ),
    tf(
        "tf-cast-float64-to-float",
        "a float64 array with dtype float is converted once",
        [feed("x", [0.1, 0.2], "float64", dtype="DT_FLOAT")],
    ),
    tf(
        "tf-multiple-feeds",
        "several feeds: map entries in insertion order",
        [feed("b", [1.0], "float32"), feed("a", [2, 3], "int64"), feed("c", ["s"], "str")],
    ),
    tf(
        "tf-signature-and-fetches",
        "signature_name and output_filter",
        [feed("x", [1.0, 2.0], "float32")],
        signature_name="serving_default",
        fetches=["y", "z"],
    ),
    tf("tf-no-feeds", "an empty request with a fetch only", [], fetches=["y"]),
    torch(
        "torch-positional",
        "two positional inputs, a fetch and debug_level",
        [feed(0, [[1.0, 2.0]], "float32"), feed(1, [1, 2], "int64")],
        fetches=[0, 2],
        debug_level=1,
    ),
    torch("torch-gap", "input 1 only: input 0 is sent as an empty ArrayProto", [feed(1, [5], "int32")]),
    torch(
        "torch-map-inputs",
        "named inputs go to map_inputs",
        [feed("ids", [1, 2, 3], "int32"), feed(0, [0.5], "float64")],
    ),
    torch("torch-uint8-image", "uint8 tensor", [feed(0, [[[0, 255], [128, 7]]], "uint8")]),
    torch("torch-strings", "string inputs", [feed(0, ["a", "bc"], "str")]),
    torch(
        "torch-negative-fetch", "output_filter is packed int32; a negative one is 10 bytes", [], fetches=[-1]
    ),
]

# Bodies captured from the official SDK (eas-prediction 0.36, TFRequest/TorchRequest.to_string())
# for the same input: ours must match them byte for byte.
OFFICIAL = {
    "official-tf-float": "0a03736967121f0a0178121a080112040a0202021a100000803f0000004000004040000090401a0179",
    "official-tf-int32": "0a03736967121b0a01781216080312030a01032a0d01feffffffffffffffff01ac02",
    "official-torch-gap": "0a000a14080912030a01023a0b05faffffffffffffffff01120100",
}
ENCODE += [
    tf("official-tf-float", "as the official SDK: add_feed('x', [2, 2], DT_FLOAT, [1, 2, 3, 4.5])",
       [feed("x", [[1, 2], [3, 4.5]], "list", dtype="DT_FLOAT")], signature_name="sig", fetches=["y"]),
    tf("official-tf-int32", "as the official SDK: add_feed('x', [3], DT_INT32, [1, -2, 300])",
       [feed("x", [1, -2, 300], "list", dtype="DT_INT32")], signature_name="sig"),
    torch("official-torch-gap", "as the official SDK: add_feed(1, [2], DT_INT64, [5, -6]), add_fetch(0)",
          [feed(1, [5, -6], "list")], fetches=[0]),
]  # fmt: skip

BAD_ENCODE = [
    tf("bad-complex", "complex numbers have no EAS dtype", [feed("x", [1.0], "complex64")]),
    tf(
        "bad-shape-mismatch",
        "given shape holds 6 values but 5 are given",
        [feed("x", [1, 2, 3, 4, 5], "int32", shape=[2, 3])],
    ),
    tf("bad-ragged-list", "ragged nested lists", [feed("x", [[1, 2], [3]], "list")]),
    tf("bad-float16", "float16 is not sent implicitly", [feed("x", [1.0], "float16")]),
    tf("bad-uint32", "uint32 has no EAS dtype", [feed("x", [1], "uint32")]),
    tf(
        "bad-float-as-int",
        "floats are not rounded into ints",
        [feed("x", [1.5], "float64", dtype="DT_INT32")],
    ),
    tf("bad-int-out-of-range", "300 does not fit DT_INT8", [feed("x", [300], "int64", dtype="DT_INT8")]),
    tf("bad-unsendable-dtype", "DT_HALF cannot be sent", [feed("x", [1.0], "float32", dtype="DT_HALF")]),
    torch("bad-torch-bool", "the PyTorch processor has no bool tensors", [feed(0, [True], "bool")]),
]


def response_cases() -> list[dict[str, Any]]:
    cases = []

    def tf_resp(name: str, desc: str, msg: dict[str, Any]) -> None:
        body = json_format.ParseDict(msg, tf_pb.PredictResponse()).SerializeToString()
        cases.append(
            {"name": name, "description": desc, "input": {"kind": "tf_response", "body_hex": body.hex()}}
        )

    def raw(name: str, desc: str, kind: str, body: bytes, comment: str | None = None) -> None:
        case = {"name": name, "description": desc, "input": {"kind": kind, "body_hex": body.hex()}}
        if comment:
            case["comment"] = comment
        cases.append(case)

    def arr(dtype: str, dims: list[int], field: str, vals: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"dtype": dtype, field: vals}
        if dims:
            out["array_shape"] = {"dim": dims}
        return out

    tf_resp(
        "decode-tf-float32",
        "float32 output",
        {"outputs": {"y": arr("DT_FLOAT", [2, 2], "float_val", [1, 2.5, "NaN", "-Infinity"])}},
    )
    tf_resp(
        "decode-tf-many-dtypes",
        "one output per dtype",
        {
            "outputs": {
                "d": arr("DT_DOUBLE", [2], "double_val", [0.1, -2]),
                "i32": arr("DT_INT32", [3], "int_val", [-1, 0, 2147483647]),
                "i16": arr("DT_INT16", [2], "int_val", [-32768, 7]),
                "i8": arr("DT_INT8", [2], "int_val", [-128, 127]),
                "u8": arr("DT_UINT8", [2], "int_val", [0, 255]),
                "u16": arr("DT_UINT16", [1], "int_val", [65535]),
                "i64": arr("DT_INT64", [2], "int64_val", ["-9223372036854775808", "9223372036854775807"]),
                "b": arr("DT_BOOL", [1, 2], "bool_val", [True, False]),
                "s": arr("DT_STRING", [2], "string_val", [b64("日本".encode()), b64(b"\xff\x00")]),
            }
        },
    )
    tf_resp(
        "decode-tf-scalar",
        "no array_shape and one value: a 0-d output",
        {"outputs": {"y": arr("DT_FLOAT", [], "float_val", [3])}},
    )
    tf_resp(
        "decode-tf-empty",
        "shape [0, 4] and no values",
        {"outputs": {"y": arr("DT_INT64", [0, 4], "int64_val", [])}},
    )
    tf_resp("decode-tf-no-outputs", "an empty response", {})
    # unpacked float_val (tag 0x1d per element), as an older encoder may write it
    raw(
        "decode-tf-unpacked",
        "unpacked repeated fields are accepted",
        "tf_response",
        bytes.fromhex("0a110a0179120c08011d0000803f1d00000040"),
        "float_val [1, 2] written one element per record, no array_shape: a vector",
    )
    raw(
        "decode-tf-unpacked-varints",
        "unpacked int_val, one of them a non-canonical (overlong) varint",
        "tf_response",
        bytes.fromhex("0a0f0a0179120a080328818000287f2802"),
        "int_val 1 written as 81 80 00, then 127 and 2, each in its own record",
    )
    raw(
        "decode-tf-dtype-unset",
        "dtype 0: read the value field that is filled",
        "tf_response",
        bytes.fromhex("0a0b0a017912062a0401027f05"),
    )
    raw(
        "decode-tf-unknown-field",
        "unknown fields are skipped",
        "tf_response",
        bytes.fromhex("0a100a0179120b08011a040000803ff80101"),
    )
    tb = torch_pb.PredictResponse()
    o = tb.outputs.add()
    o.dtype, o.int64_val[:] = 9, [1, -1]
    o.array_shape.dim.append(2)
    tb.map_outputs["named"].dtype = 1
    tb.map_outputs["named"].float_val.append(0.5)
    raw(
        "decode-torch-outputs",
        "positional outputs by index, map_outputs by name",
        "torch_response",
        tb.SerializeToString(),
    )
    for name, desc, body in [
        ("bad-truncated", "a length that runs past the end", "0a100a0179"),
        ("bad-truncated-varint", "a varint that never ends", "0a0b0a01791206088080"),
        ("bad-garbage", "random bytes", "ffffffffffffffffffffff"),
        ("bad-wire-type-group", "a group (wire type 3)", "0b"),
        ("bad-float-length", "float_val of 3 bytes", "0a0a0a0179120508011a0100"),
        (
            "bad-shape-mismatch-response",
            "array_shape [3] but 2 values",
            "0a120a0179120d080112030201031a080000803f0000803f",
        ),
        ("bad-negative-dim", "a -1 dim", "0a1b0a017912160801120b0a09ffffffffffffffffff011a040000803f"),
        ("bad-bool-in-torch", "Torch response with DT_BOOL", "0a02080a"),
    ]:
        raw(name, desc, "torch_response" if "torch" in name else "tf_response", bytes.fromhex(body))
    return cases


def expected_outputs(inp: dict[str, Any]) -> dict[str, Any]:
    return decode_case(inp)


def _dump(value: Any, indent: str = "") -> str:
    """JSON with one key per line but lists of values (and small objects) on one line, for review."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or len(flat) + len(indent) <= 100:
        return flat
    inner = indent + "  "
    if isinstance(value, list):
        return "[\n" + ",\n".join(inner + _dump(v, inner) for v in value) + "\n" + indent + "]"
    items = (f"{inner}{json.dumps(k)}: {_dump(v, inner)}" for k, v in value.items())
    return "{\n" + ",\n".join(items) + "\n" + indent + "}"


def main() -> None:
    cases: list[dict[str, Any]] = []
    for case in ENCODE:
        req = build_request(case["input"])
        body = req.to_body()
        msg = (tf_pb.PredictRequest if case["input"]["kind"] == "tf_request" else torch_pb.PredictRequest)()
        msg.ParseFromString(body)
        if case["name"] in OFFICIAL:
            assert body.hex() == OFFICIAL[case["name"]], case["name"]
            case["comment"] = "body_hex is byte-identical to eas-prediction 0.36's to_string()"
        case["expect"] = {
            "body_hex": body.hex(),
            "message": json_format.MessageToDict(msg, preserving_proto_field_name=True),
        }
        cases.append(case)
    for case in BAD_ENCODE:
        case["expect"] = {"error": "PayloadError"}
        cases.append(case)
    for case in response_cases():
        if case["name"].startswith("bad-"):
            case["expect"] = {"error": "PayloadError"}
        else:
            case["expect"] = {"outputs": expected_outputs(case["input"])}
        cases.append(case)
    # Every case pins PAYLOAD-4 (typed tensor requests and their responses) of spec/protocol.md.
    cases = [{"name": c["name"], "description": c["description"], "rules": ["PAYLOAD-4"]} | c for c in cases]
    VECTORS.write_text(_dump({"description": DESCRIPTION, "cases": cases}) + "\n")
    print(f"wrote {len(cases)} cases to {VECTORS}")


if __name__ == "__main__":
    main()
