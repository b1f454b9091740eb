"""Direct mode against the local runtime's discovery API and real instance ports."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from eas_client import DiscoveryError, EASClient
from eas_client.server import BaseProcessor
from eas_client.testing import LocalRuntime

from ..conftest import ClientFactory

TOKEN = "direct-token-123456"


class Echo(BaseProcessor):
    def process(self, data: bytes) -> Any:
        return data, 200


def _weights(rt: LocalRuntime, weights: list[int]) -> None:
    rt.set_upstreams(
        [{"ip": "127.0.0.1", "port": rt.instance_port(i), "weight": w} for i, w in enumerate(weights)]
    )


def test_2000_calls_spread_within_10_percent_of_the_weights(make_client: ClientFactory) -> None:
    with LocalRuntime(Echo, service="demo", token=TOKEN, instances=3) as rt:
        _weights(rt, [1, 1, 2])
        client = make_client(rt.base_url, TOKEN, service_name="demo", endpoint_type="direct")
        # httpx runs at a fraction of the default engines' rate; 600 calls check its spread as well
        # and keep the suite's run time bounded.
        calls = 600 if make_client.engine.endswith("httpx") else 2000
        results = client.predict_many([f"{i}".encode() for i in range(calls)], concurrency=8)
        assert results == [f"{i}".encode() for i in range(calls)]
        counts = [rt.stats(i)["requests"] for i in range(3)]
        assert rt.stats()["requests"] == 0  # nothing went through the gateway
    for got, share in zip(counts, [0.25, 0.25, 0.5], strict=True):
        assert abs(got - calls * share) <= 0.1 * calls * share, counts


def test_killing_an_instance_mid_run_loses_and_duplicates_nothing(make_client: ClientFactory) -> None:
    with LocalRuntime(Echo, service="demo", token=TOKEN, instances=3) as rt:
        rt.track_bodies()
        client = make_client(rt.base_url, TOKEN, service_name="demo", endpoint_type="direct", max_retries=5)
        done = threading.Event()
        seen = [0]
        lock = threading.Lock()

        def progress(n: int, total: int | None) -> None:
            with lock:
                seen[0] = n
            if n == 300:
                done.set()

        def kill() -> None:
            done.wait(30)
            rt.stop_instance(1)

        killer = threading.Thread(target=kill)
        killer.start()
        inputs = [f"call-{i}".encode() for i in range(1200)]
        results = client.predict_many(inputs, concurrency=8, progress=progress)
        killer.join()
        assert results == inputs  # every call succeeded, in order
        totals = rt.total_stats()
        assert totals["duplicate_bodies"] == 0
        assert totals["completed"] == 1200
        late = rt.stats(1)["requests"]
        assert late < 1200 // 3 + 20  # the dead instance stopped taking calls


def test_discovery_outage_keeps_the_last_good_list(make_client: ClientFactory) -> None:
    with LocalRuntime(Echo, service="demo", instances=2) as rt:
        client = make_client(rt.base_url, service_name="demo", endpoint_type="direct", discovery_refresh=0.0)
        assert client.predict(b"first") == b"first"
        rt.set_discovery_failure(503)
        assert client.predict_many([b"x"] * 20, concurrency=2) == [b"x"] * 20
        rt.set_discovery_failure(200, b"{not json")
        assert client.predict(b"still") == b"still"


def test_bad_discovery_json_is_a_typed_error_on_first_use(make_client: ClientFactory) -> None:
    with LocalRuntime(Echo, service="demo", instances=2) as rt:
        rt.set_discovery_failure(200, b"<html>gateway page</html>")
        client = make_client(rt.base_url, service_name="demo", endpoint_type="direct")
        with pytest.raises(DiscoveryError, match="not JSON"):
            client.predict(b"x")
        rt.set_discovery_failure(None)
        assert client.predict(b"recovered") == b"recovered"


def test_unknown_service_in_direct_mode_is_a_discovery_error() -> None:
    with LocalRuntime(Echo, service="demo", instances=2) as rt:
        with EASClient(rt.base_url, service_name="other", endpoint_type="direct") as client:
            with pytest.raises(DiscoveryError, match="404"):
                client.predict(b"x")
