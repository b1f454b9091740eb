"""The runtime's admin API (upstreams, stopping an instance, discovery outages), connection resets
before any response byte, settings parsing and start-up failures, over real sockets."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from eas_client import AsyncEASClient, EASClient, ReadError
from eas_client.server import BaseProcessor, FaultSpec, ServeError, get_model_path
from eas_client.server.settings import parse_listen
from eas_client.testing import LocalRuntime

from ..plain_http import call as _call
from .processors import Echo

TOKEN = "admin-tests-token-123456"


def _raw_post(port: int) -> bytes | BaseException:
    """One request on a fresh socket: what came back, or the error the socket raised."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /api/predict/demo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx")
        try:
            return sock.recv(4096)
        except OSError as exc:
            return exc


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


async def test_close_fault_resets_the_connection_before_any_response_byte() -> None:
    with LocalRuntime(Echo, service="demo") as rt:
        rt.set_faults(rate_close=1.0)
        got = _raw_post(_port(rt.base_url))
        assert isinstance(got, ConnectionResetError) or got == b"", got
        with EASClient(rt.endpoint, max_retries=0) as client, pytest.raises(ReadError):
            client.predict(b"x")
        async with AsyncEASClient(rt.endpoint, max_retries=0) as aclient:
            with pytest.raises(ReadError):
                await aclient.predict(b"x")
        rt.set_faults()
        with EASClient(rt.endpoint, max_retries=0) as client:
            assert client.predict(b"after") == b"after"
        assert rt.stats()["statuses"] == {"0": 3, "200": 1}
        assert rt.stats()["completed"] == 1  # a reset request never reached process()


def test_close_fault_is_retried_by_the_client_and_nothing_is_processed_twice() -> None:
    with LocalRuntime(Echo, service="demo", faults=FaultSpec(rate_close=0.3, seed=3)) as rt:
        rt.track_bodies()
        inputs = [f"row-{i}".encode() for i in range(60)]
        with EASClient(rt.endpoint, max_retries=8) as client:
            assert client.predict_many(inputs, concurrency=4) == inputs
        stats = rt.stats()
    # The seed fixes the draws, so how many resets it takes to get 60 answers is fixed too,
    # whichever request each draw lands on.
    assert (stats["requests"], stats["statuses"], stats["completed"]) == (80, {"0": 20, "200": 60}, 60)
    assert stats["duplicate_bodies"] == 0


def test_set_faults_takes_a_spec_or_keywords_not_both() -> None:
    with LocalRuntime(Echo, service="demo") as rt:
        with pytest.raises(TypeError, match="not both"):
            rt.set_faults(FaultSpec(), rate_503=1.0)
        with pytest.raises(ValueError, match="at most 1"):
            rt.set_faults(rate_503=0.6, rate_close=0.6)
        rt.set_faults(rate_503=1.0)
        assert _call("POST", rt.endpoint, b"x") == (503, b"injected fault")


def test_admin_api_changes_the_upstream_list_and_weights() -> None:
    with LocalRuntime(Echo, service="demo", token=TOKEN, instances=2) as rt:
        url = rt.base_url + "/api/v1/servicediscovery/upstreams/demo"
        items = [{"ip": "127.0.0.1", "port": 1234, "weight": 7}, {"ip": "127.0.0.2", "port": 99}]
        status, body = _call(
            "POST", rt.base_url + "/_admin/upstreams", json.dumps(items).encode(), rt.admin_headers
        )
        expected = [
            {"ip": "127.0.0.1", "port": 1234, "weight": 7},
            {"ip": "127.0.0.2", "port": 99, "weight": 100},
        ]
        assert (status, json.loads(body)) == (200, expected)
        assert json.loads(_call("GET", url)[1]) == {"endpoints": {"items": expected}}
        assert _call("POST", rt.base_url + "/_admin/upstreams", b'{"ip": 1}', rt.admin_headers)[0] == 400
        assert _call("POST", rt.base_url + "/_admin/upstreams", b"null", rt.admin_headers)[0] == 200
        ports = [_port(u) for u in rt.instance_urls]
        real = [{"ip": "127.0.0.1", "port": p, "weight": 100} for p in ports]
        assert json.loads(_call("GET", url)[1]) == {"endpoints": {"items": real}}


def test_admin_api_makes_discovery_fail_and_heals_it() -> None:
    with LocalRuntime(Echo, service="demo", token=TOKEN, instances=2) as rt:
        url = rt.base_url + "/exported/apis/eas.alibaba-inc.k8s.io/v1/upstreams/demo"
        doc = b'{"status": 503, "body": "no upstream"}'
        assert _call("POST", rt.base_url + "/_admin/discovery-failure", doc, rt.admin_headers) == (
            200,
            b'{"status": 503}',
        )
        assert _call("GET", url) == (503, b"no upstream")
        assert _call("POST", rt.base_url + "/_admin/discovery-failure", b"{}", rt.admin_headers)[0] == 200
        assert _call("GET", url)[0] == 200


def test_admin_api_stops_one_instance_and_the_rest_keep_serving() -> None:
    with LocalRuntime(Echo, service="demo", token=TOKEN, instances=3) as rt:
        stopped = rt.instance_port(1)
        assert _call("POST", rt.base_url + "/_admin/instances/1/stop", None, rt.admin_headers) == (
            200,
            b'{"stopped": 1}',
        )
        assert rt.wait_instance_stopped(1)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", stopped), timeout=1).close()
        for i in (0, 2):
            assert _call(
                "POST", rt.instance_urls[i] + "/api/predict/demo", b"up", {"Authorization": TOKEN}
            ) == (200, b"up")
        assert _call("POST", rt.base_url + "/_admin/instances/3/stop", None, rt.admin_headers)[0] == 400
        assert _call("POST", rt.base_url + "/_admin/instances/-1/stop", None, rt.admin_headers)[0] == 400
        status, body = _call("POST", rt.base_url + "/_admin/nothing", None, rt.admin_headers)
        assert status == 404 and b"/_admin/upstreams" in body


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("0.0.0.0:8000", ("0.0.0.0", 8000)),
        ("0.0.0.0:8000/", ("0.0.0.0", 8000)),
        ("127.0.0.1:9000", ("127.0.0.1", 9000)),
        ("http://127.0.0.1:9001/", ("127.0.0.1", 9001)),
        ("8002", ("127.0.0.1", 8002)),
    ],
)
def test_processor_endpoint_forms(endpoint: str, expected: tuple[str, int]) -> None:
    assert parse_listen(endpoint) == expected


def test_bad_processor_endpoint_says_what_to_write() -> None:
    with pytest.raises(ServeError, match="must look like 'host:port'"):
        parse_listen("localhost")


def test_local_runtime_of_a_missing_file_is_a_catchable_error(tmp_path: Path) -> None:
    with pytest.raises(ServeError, match="processor file .*missing.py not found"):
        LocalRuntime(tmp_path / "missing.py")
    bad_json = tmp_path / "app.json"
    bad_json.write_text("[1]")
    with pytest.raises(ServeError, match="must hold a JSON object"):
        LocalRuntime(ModelPath, app_json=bad_json)
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(ServeError, match="exactly one allspark.BaseProcessor subclass"):
        LocalRuntime(empty)


class ModelPath(BaseProcessor):
    def process(self, data: bytes) -> Any:
        return self.get_model_path(), 200


def test_model_path_flag_reaches_get_model_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EAS_MODEL_PATH", "/from/env")
    assert get_model_path() == "/from/env"
    with LocalRuntime(ModelPath, service="demo", model_path=str(tmp_path)) as rt:
        assert _call("POST", rt.endpoint, b"") == (200, str(tmp_path).encode())
    monkeypatch.delenv("EAS_MODEL_PATH")
    assert get_model_path() == os.path.abspath("model")


class BrokenInit(BaseProcessor):
    def initialize(self) -> None:
        raise OSError("model file missing")

    def process(self, data: bytes) -> Any:
        return data


def test_a_failing_initialize_is_reported_by_start_and_leaks_nothing() -> None:
    rt = LocalRuntime(BrokenInit, service="demo")
    port = _port(rt.base_url)
    with pytest.raises(RuntimeError, match="model file missing"):
        rt.start()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
