"""Tensor payload encode/decode throughput: one float32 tensor of 1,000,000 elements (4 MB).

    python benchmarks/payload_bench.py [--quick]

Compared: ours (numpy fast path); the protobuf runtime as the official SDKs use it (``tolist()``
then ``float_val.extend``, ``SerializeToString``; parse then ``np.array(float_val)``); numpy
``tobytes()`` as the memcpy bound; and, when a venv with ``eas-prediction`` is found, the official
``TFRequest.add_feed(...).to_string()`` in its own process (it pins an old protobuf). MB/s counts
the tensor's 4 MB; times are medians; peak memory is tracemalloc's peak above the input.
Targets: ours ≥ 0.5× memcpy and ≥ 20× the official path.
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from eas_client.payloads import TFRequest, TFResponse, encode_tf_response

N = 1_000_000
ROOT = Path(__file__).resolve().parent.parent
# The official SDK pins protobuf 3.20 (pure-Python on 3.11), so it runs in its own venv.
OFFICIAL_PYTHONS = [
    os.environ.get("EAS_PREDICTION_PYTHON", ""),
    str(ROOT / ".venv-official" / "bin" / "python"),
]
# The list is built outside the timed region (numpy may not be in that venv): a conservative
# figure for the official path, which in real use also pays for ndarray.tolist().
_OFFICIAL_SCRIPT = """
import json, random, statistics, sys, time, tracemalloc
from eas_prediction import TFRequest
values = [random.random() for _ in range(%d)]
times = []
for _ in range(%d):
    t = time.perf_counter()
    req = TFRequest("serving_default")
    req.add_feed("x", [len(values)], TFRequest.DT_FLOAT, values)
    body = req.to_string()
    times.append(time.perf_counter() - t)
tracemalloc.start()
req = TFRequest("serving_default")
req.add_feed("x", [len(values)], TFRequest.DT_FLOAT, values)
req.to_string()
peak = tracemalloc.get_traced_memory()[1]
import google.protobuf
from google.protobuf.internal import api_implementation
print(json.dumps({"median_s": statistics.median(times), "peak": peak,
                  "protobuf": google.protobuf.__version__ + "/" + api_implementation.Type()}))
"""


def _median_time(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: imports, first-touch page faults
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _pb_encode(arr: np.ndarray) -> Callable[[], bytes]:
    pb: Any = importlib.import_module("tests.payloads._pb.tf_predict_pb2")  # generated, untyped

    def encode() -> bytes:
        msg = pb.PredictRequest(signature_name="serving_default")
        x = msg.inputs["x"]
        x.dtype = pb.DT_FLOAT
        x.array_shape.dim.extend(arr.shape)
        x.float_val.extend(arr.tolist())
        body: bytes = msg.SerializeToString()
        return body

    return encode


def _pb_decode(body: bytes) -> Callable[[], np.ndarray]:
    pb: Any = importlib.import_module("tests.payloads._pb.tf_predict_pb2")  # generated, untyped

    def decode() -> np.ndarray:
        out = pb.PredictResponse.FromString(body).outputs["x"]
        return np.array(out.float_val, dtype=np.float32).reshape(tuple(out.array_shape.dim))

    return decode


def _official(repeats: int) -> dict[str, Any] | str:
    for py in filter(None, OFFICIAL_PYTHONS):
        if not Path(py).exists():
            continue
        proc = subprocess.run(
            [py, "-c", _OFFICIAL_SCRIPT % (N, repeats)], capture_output=True, text=True, timeout=600
        )
        if proc.returncode == 0:
            result: dict[str, Any] = json.loads(proc.stdout)
            return result
    return "no venv with eas-prediction (set EAS_PREDICTION_PYTHON)"


def run(quick: bool) -> list[dict[str, Any]]:
    """Measure every path; one row per (operation, implementation)."""
    repeats = 3 if quick else 9
    arr = np.random.default_rng(0).random(N, dtype=np.float32)
    mb = arr.nbytes / 1e6
    body = encode_tf_response({"x": arr})
    cases: list[tuple[str, str, Callable[[], object]]] = [
        ("encode", "memcpy (ndarray.tobytes)", arr.tobytes),
        ("encode", "eas_client", lambda: TFRequest("serving_default").add_feed("x", arr).to_body()),
        ("encode", "protobuf runtime (tolist + extend)", _pb_encode(arr)),
        ("decode", "memcpy (frombuffer + copy)", lambda: np.frombuffer(body, np.uint8).copy()),
        ("decode", "eas_client", lambda: TFResponse.from_body(body).get("x")),
        ("decode", "protobuf runtime (parse + np.array)", _pb_decode(body)),
    ]
    rows: list[dict[str, Any]] = []
    for op, impl, fn in cases:
        median = _median_time(fn, repeats if "protobuf" not in impl else max(1, repeats // 3))
        rows.append(
            {
                "benchmark": f"payload-{op}",
                "impl": impl,
                "median_s": median,
                "mb_per_s": mb / median,
                "peak_extra_mb": _peak(fn) / 1e6,
            }
        )
    official = _official(1 if quick else 3)
    if isinstance(official, dict):
        rows.append(
            {
                "benchmark": "payload-encode",
                "impl": f"eas-prediction (protobuf {official['protobuf']})",
                "median_s": official["median_s"],
                "mb_per_s": mb / official["median_s"],
                "peak_extra_mb": official["peak"] / 1e6,
            }
        )
    else:
        rows.append({"benchmark": "payload-encode", "impl": "eas-prediction", "skipped": official})
    for op in ("encode", "decode"):
        ours = next(r for r in rows if r["benchmark"] == f"payload-{op}" and r["impl"] == "eas_client")
        for r in rows:
            if r["benchmark"] == f"payload-{op}" and "median_s" in r:
                r["ours_speedup"] = r["median_s"] / ours["median_s"]
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{'benchmark':<16}{'implementation':<46}{'MB/s':>10}{'median ms':>11}{'peak MB':>9}{'ours x':>9}"
    ]
    for r in rows:
        if "skipped" in r:
            lines.append(f"{r['benchmark']:<16}{r['impl']:<46}  skipped: {r['skipped']}")
            continue
        lines.append(
            f"{r['benchmark']:<16}{r['impl']:<46}{r['mb_per_s']:>10.0f}{r['median_s'] * 1e3:>11.2f}"
            f"{r['peak_extra_mb']:>9.1f}{r['ours_speedup']:>9.2f}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(_table(run(quick="--quick" in sys.argv)))
