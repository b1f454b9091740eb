"""TFRequest/TorchRequest through EASClient and AsyncEASClient against a tiny http.server that
decodes with the protobuf runtime (independent of our codec) and answers a protobuf response."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from eas_client import AsyncEASClient, EASClient
from eas_client.payloads import TFRequest, TFResponse, TorchRequest, TorchResponse
from tests.payloads._pb import pytorch_predict_pb2 as torch_pb
from tests.payloads._pb import tf_predict_pb2 as tf_pb

SEEN: list[tuple[str, str]] = []


class Handler(BaseHTTPRequestHandler):
    """/api/predict/tf doubles every float input; /api/predict/torch negates input 0."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        SEEN.append((self.path, self.headers["Content-Type"]))
        out: Any
        if self.path.endswith("/tf"):
            req = tf_pb.PredictRequest.FromString(body)
            out = tf_pb.PredictResponse()
            for name, arr in req.inputs.items():
                if req.output_filter and name not in req.output_filter:
                    continue
                o = out.outputs[name]
                o.dtype = arr.dtype
                o.array_shape.CopyFrom(arr.array_shape)
                o.float_val.extend(2 * v for v in arr.float_val)
            out.outputs["signature"].dtype = tf_pb.DT_STRING
            out.outputs["signature"].string_val.append(req.signature_name.encode())
        else:
            treq = torch_pb.PredictRequest.FromString(body)
            out = torch_pb.PredictResponse()
            o = out.outputs.add()
            o.CopyFrom(treq.inputs[0])
            o.ClearField("float_val")
            o.float_val.extend(-v for v in treq.inputs[0].float_val)
        payload = out.SerializeToString()
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def _tf(i: int) -> TFRequest:
    x = np.arange(6, dtype=np.float32).reshape(2, 3) + i
    return TFRequest("serving_default").add_feed("x", x).add_fetch("x")


def test_sync_predict_returns_a_tf_response(base_url: str) -> None:
    with EASClient(f"{base_url}/api/predict/tf") as client:
        resp = client.predict(_tf(0))
        many = client.predict_many([_tf(i) for i in range(4)], concurrency=2)
    assert isinstance(resp, TFResponse)
    np.testing.assert_array_equal(resp.get("x"), 2 * np.arange(6, dtype=np.float32).reshape(2, 3))
    assert resp.get("signature")[()] == b"serving_default" and resp.shape("signature") == ()
    assert [float(r.get("x")[0, 0]) for r in many] == [0.0, 2.0, 4.0, 6.0]
    assert ("/api/predict/tf", "application/octet-stream") in SEEN


def test_async_predict_and_predict_many_return_tf_responses(base_url: str) -> None:
    async def main() -> tuple[Any, list[Any]]:
        async with AsyncEASClient(f"{base_url}/api/predict/tf") as client:
            one = await client.predict(_tf(1))
            many = await client.predict_many([_tf(i) for i in range(4)], concurrency=4)
            return one, many

    one, many = asyncio.run(main())
    assert isinstance(one, TFResponse) and one.shape("x") == (2, 3)
    assert [float(r.get("x")[1, 2]) for r in many] == [10.0, 12.0, 14.0, 16.0]


def test_torch_request_round_trips_through_both_twins(base_url: str) -> None:
    req = TorchRequest().add_feed(0, np.ones((1, 2, 2), dtype=np.float32))
    with EASClient(f"{base_url}/api/predict/torch") as client:
        resp = client.predict(req)

    async def main() -> Any:
        async with AsyncEASClient(f"{base_url}/api/predict/torch") as aclient:
            return await aclient.predict(req)

    for r in (resp, asyncio.run(main())):
        assert isinstance(r, TorchResponse)
        np.testing.assert_array_equal(r.get(0), -np.ones((1, 2, 2), dtype=np.float32))


def test_every_engine_returns_tf_responses_from_predict_and_predict_many(
    base_url: str, make_client: Any
) -> None:
    client = make_client(f"{base_url}/api/predict/tf")
    one = client.predict(_tf(2))
    many = client.predict_many([_tf(i) for i in range(3)], concurrency=3)
    assert isinstance(one, TFResponse) and float(one.get("x")[0, 0]) == 4.0
    assert [type(r) for r in many] == [TFResponse] * 3
    assert [float(r.get("x")[0, 1]) for r in many] == [2.0, 4.0, 6.0]
