"""examples/tensor/app.py on the real local runtime, called through both twins over a socket."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from eas_client import AsyncEASClient, BadRequestError, EASClient
from eas_client.payloads import TFRequest, TFResponse
from eas_client.testing import LocalRuntime

APP = Path(__file__).resolve().parents[2] / "examples" / "tensor" / "app.py"


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(APP, app_json=APP.parent / "app.json", service="tensor", token="tensor-token") as rt:
        yield rt


def _request() -> TFRequest:
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    return TFRequest().add_feed("x", x).add_feed("ids", [1, 2], dtype="int32").add_feed("s", ["é"])


def test_tensor_sum_echoes_inputs_and_sums_them(runtime: LocalRuntime) -> None:
    assert runtime.endpoint.endswith("/api/predict/tensor")
    with EASClient(runtime.endpoint, token=runtime.token) as client:
        resp = client.predict(_request())
    assert isinstance(resp, TFResponse)
    assert resp.keys() == ["x", "ids", "s", "sum"]
    np.testing.assert_array_equal(resp.get("x"), np.arange(12, dtype=np.float32).reshape(3, 4))
    assert resp.get("ids").dtype == np.int32
    assert resp.get("s").tolist() == ["é".encode()]
    assert resp.get("sum") == 66.0 + 3.0 and resp.shape("sum") == ()


def test_tensor_sum_honours_fetches_through_the_async_twin(runtime: LocalRuntime) -> None:
    async def main() -> list[object]:
        async with AsyncEASClient(runtime.endpoint, token=runtime.token) as client:
            reqs = [_request().add_fetch("sum") for _ in range(3)]
            return list(await client.predict_many(reqs, concurrency=3))

    results = asyncio.run(main())
    assert [r.keys() for r in results] == [["sum"]] * 3  # type: ignore[attr-defined]


def test_a_malformed_body_is_a_400_from_the_processor(runtime: LocalRuntime) -> None:
    with EASClient(runtime.endpoint, token=runtime.token, max_retries=0) as client:
        with pytest.raises(BadRequestError) as info:
            client.predict(b"\x0a\xff")
    assert b"truncated" in (info.value.body or b"")
