"""The checked-in protobuf code is what the pinned generator makes from spec/proto, and it matches
the wire contract (names and field numbers of reference §4)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.payloads._pb import pytorch_predict_pb2 as torch_pb
from tests.payloads._pb import tf_predict_pb2 as tf_pb

ROOT = Path(__file__).resolve().parents[2]


def test_regeneration_gives_identical_files() -> None:
    # First run builds .venv-gen with the pinned generator (one pip install); later runs reuse it.
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_protos.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _fields(message: object) -> dict[str, tuple[int, int]]:
    return {f.name: (f.number, f.type) for f in message.DESCRIPTOR.fields}  # type: ignore[attr-defined]


def test_tf_messages_match_the_wire_contract() -> None:
    assert tf_pb.DESCRIPTOR.package == ""
    assert {n: f[0] for n, f in _fields(tf_pb.ArrayProto).items()} == {
        "dtype": 1, "array_shape": 2, "float_val": 3, "double_val": 4,
        "int_val": 5, "string_val": 6, "int64_val": 7, "bool_val": 8,
    }  # fmt: skip
    assert {n: f[0] for n, f in _fields(tf_pb.PredictRequest).items()} == {
        "signature_name": 1, "inputs": 2, "output_filter": 3,
    }  # fmt: skip
    assert tf_pb.PredictResponse.DESCRIPTOR.fields_by_name["outputs"].number == 1
    assert tf_pb.ArrayDataType.Value("DT_UINT16") == 17 and tf_pb.ArrayDataType.Value("DT_VARIANT") == 21


def test_torch_messages_match_the_wire_contract() -> None:
    assert torch_pb.DESCRIPTOR.package == "pytorch.eas"
    assert "bool_val" not in _fields(torch_pb.ArrayProto)
    assert {n: f[0] for n, f in _fields(torch_pb.PredictRequest).items()} == {
        "inputs": 1, "output_filter": 2, "map_inputs": 3, "debug_level": 100,
    }  # fmt: skip
    assert {n: f[0] for n, f in _fields(torch_pb.PredictResponse).items()} == {"outputs": 1, "map_outputs": 2}
