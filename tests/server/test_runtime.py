"""The local runtime over real sockets: gateway behaviour, processor results, auth, limits, faults."""

from __future__ import annotations

import concurrent.futures
import json
import math
import threading
import time
import urllib.request
from typing import Any

import pytest

from eas_client import (
    AuthenticationError,
    BadRequestError,
    EASClient,
    NotFoundError,
    QueueFullError,
    ReadError,
    ServerTimeoutError,
    ServiceUnavailableError,
    StatusError,
)
from eas_client.server import FaultSpec, default_properties
from eas_client.testing import LocalRuntime

from ..conftest import ClientFactory
from .processors import Blocking, Echo, Shapes, Slow

TOKEN = "runtime-token-123456"
BAD_RETURN = (
    b"processor returned %s; process() must return bytes, str, a dict or list (JSON), "
    b"a number or None, optionally as (body, status)"
)


def _post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_both_twins_and_every_engine_call_the_runtime(make_client: ClientFactory) -> None:
    with LocalRuntime(Echo, service="demo", token=TOKEN) as rt:
        client = make_client(rt.endpoint, TOKEN)
        assert client.predict(b"hello") == b"hello"
        assert client.predict_many([b"a", b"b", b"c"], concurrency=2) == [b"a", b"b", b"c"]
        signed = make_client(rt.endpoint, TOKEN, auth="signature")
        assert signed.predict("signé") == "signé".encode()
        assert rt.stats()["statuses"] == {"200": 5}


@pytest.mark.parametrize(
    ("kind", "status", "body", "content_type"),
    [
        ("bytes", 200, b"\x00raw", "application/octet-stream"),
        ("str", 200, "text é".encode(), "text/plain; charset=utf-8"),
        ("int", 200, b"42", "text/plain; charset=utf-8"),
        ("float", 200, b"0.5", "text/plain; charset=utf-8"),
        ("dict", 200, b'{"a": [1, 2]}', "application/json"),
        ("list", 200, b'[1, "x"]', "application/json"),
        ("none", 200, b"", "application/octet-stream"),
        ("bare", 200, b"bare value", "text/plain; charset=utf-8"),
        ("custom", 462, b"custom error", "application/octet-stream"),
        ("bad-status", 500, BAD_RETURN % b"invalid status 1234", "text/plain"),
        ("numpy-status", 201, b"np", "application/octet-stream"),
        ("informational", 500, BAD_RETURN % b"invalid status 101", "text/plain"),
        ("set", 500, BAD_RETURN % b"a body of type set", "text/plain"),
        (
            "triple",
            500,
            BAD_RETURN % b"a 3-tuple (bytes, int, dict); return (body, status) or a bare body",
            "text/plain",
        ),
        (
            "generator",
            500,
            b"processor streamed a chunk of type int; a stream yields bytes or str",
            "text/plain",
        ),
        (
            "nan",
            500,
            BAD_RETURN % b"a dict that is not valid JSON (Out of range float values are not JSON compliant)",
            "text/plain",
        ),
        ("object", 500, BAD_RETURN % b"a body of type object", "text/plain"),
        ("raise", 400, b"ValueError: cannot parse input", "text/plain; charset=utf-8"),
    ],
)
def test_process_results_become_http_answers(kind: str, status: int, body: bytes, content_type: str) -> None:
    with LocalRuntime(Shapes, service="demo") as rt:
        got_status, got_body, headers = _post(rt.endpoint, kind.encode())
        assert (got_status, got_body, headers["content-type"]) == (status, body, content_type)
        assert len(headers["x-request-id"]) == 32
        assert _post(rt.endpoint, b"bytes")[0] == 200  # still serving after any of the above


def test_processor_exception_is_400_and_the_server_keeps_serving() -> None:
    with LocalRuntime(Shapes, service="demo") as rt, EASClient(rt.endpoint) as client:
        with pytest.raises(BadRequestError, match="ValueError: cannot parse input"):
            client.predict(b"raise")
        assert client.predict(b"bytes") == b"\x00raw"


def test_auth_paths() -> None:
    with LocalRuntime(Echo, service="demo", token=TOKEN) as rt:
        assert _post(rt.endpoint, b"x")[0] == 401
        assert _post(rt.endpoint, b"x", {"Authorization": "wrong"})[0] == 401
        assert _post(rt.endpoint, b"x", {"Authorization": TOKEN})[:2] == (200, b"x")
        with EASClient(rt.endpoint, TOKEN, auth="signature") as ok:
            assert ok.predict(b"signed") == b"signed"
        with (
            EASClient(rt.endpoint, "another-token-123", auth="signature") as bad,
            pytest.raises(AuthenticationError),
        ):
            bad.predict(b"signed")
        headers = {"Authorization": "EAS bm90IGEgc2lnbmF0dXJl", "Content-MD5": "0" * 32, "Date": "x"}
        assert _post(rt.endpoint, b"x", headers)[0] == 401


def test_signed_request_with_a_tampered_body_is_refused() -> None:
    from eas_client._core.auth import signature_headers

    with LocalRuntime(Echo, service="demo", token=TOKEN) as rt:
        headers = dict(
            signature_headers(
                TOKEN, b"original", "application/octet-stream", "/api/predict/demo", time.time()
            )
        )
        headers["Content-Type"] = "application/octet-stream"
        assert _post(rt.endpoint, b"original", headers)[0] == 200
        assert _post(rt.endpoint, b"tampered", headers)[0] == 401


def test_signed_date_is_checked_by_default_with_a_15_minute_tolerance() -> None:
    from eas_client._core.auth import signature_headers

    def signed(at: float) -> dict[str, str]:
        headers = dict(signature_headers(TOKEN, b"x", "application/octet-stream", "/api/predict/demo", at))
        return {**headers, "Content-Type": "application/octet-stream"}

    now = time.time()
    with LocalRuntime(Echo, service="demo", token=TOKEN) as rt:
        status, body, _ = _post(rt.endpoint, b"x", signed(1_000_000_000))  # 2001
        assert status == 401 and b"off this server's clock (tolerance 900 s, --max-date-skew)" in body
        assert _post(rt.endpoint, b"x", signed(now - 840))[:2] == (200, b"x")  # 14 minutes late
        assert _post(rt.endpoint, b"x", signed(now + 840))[:2] == (200, b"x")
        assert _post(rt.endpoint, b"x", signed(now - 960))[0] == 401  # 16 minutes
        garbage = {**signed(now), "Date": "yesterday-ish"}
        status, body, _ = _post(rt.endpoint, b"x", garbage)
        assert (status, body) == (
            401,
            b"authorization failed: Date header 'yesterday-ish' is not an RFC 1123 date",
        )
    with LocalRuntime(Echo, service="demo", token=TOKEN, max_date_skew_s=300) as rt:
        assert _post(rt.endpoint, b"x", signed(now - 400))[0] == 401
        with EASClient(rt.endpoint, TOKEN, auth="signature") as client:
            assert client.predict(b"fresh") == b"fresh"
    with LocalRuntime(Echo, service="demo", token=TOKEN, max_date_skew_s=math.inf) as rt:  # "off"
        assert _post(rt.endpoint, b"x", signed(1_000_000_000))[0] == 200
        assert _post(rt.endpoint, b"x", {**signed(now), "Date": "garbage"})[0] == 401


def test_paths_health_and_unknown_service() -> None:
    with LocalRuntime(Echo, service="demo") as rt:
        assert _post(rt.base_url + "/test", b"seed path")[:2] == (200, b"seed path")
        assert _post(rt.endpoint + "/v1/sub", b"sub")[:2] == (200, b"sub")
        status, body, _ = _post(rt.base_url + "/api/predict/other", b"x")
        assert (status, body) == (404, b"service 'other' not found; this runtime serves 'demo'")
        assert _get(rt.base_url + "/health") == (200, b"ok")
        assert _get(rt.endpoint)[0] == 405
        with EASClient(rt.base_url, service_name="nope") as client, pytest.raises(NotFoundError):
            client.predict(b"x")


def test_queue_full_answers_450_beyond_workers_plus_queue() -> None:
    proc = Blocking(worker_threads=2)
    with LocalRuntime(proc, service="demo", queue_size=3) as rt:
        with concurrent.futures.ThreadPoolExecutor(5) as pool:
            held = [pool.submit(_post, rt.endpoint, f"{i}".encode()) for i in range(5)]
            for _ in range(2):
                assert proc.entered.acquire(timeout=10)  # both workers busy
            while rt.stats()["in_flight"] < 5:  # the other 3 sit in the queue
                threading.Event().wait(0.01)
            with EASClient(rt.endpoint, max_retries=0) as client, pytest.raises(QueueFullError) as info:
                client.predict(b"overflow")
            assert info.value.status == 450
            proc.release.set()
            assert sorted(f.result()[1] for f in held) == [f"done:{i}".encode() for i in range(5)]
        assert rt.stats()["statuses"] == {"200": 5, "450": 1}
        assert rt.stats()["max_in_flight"] == 5


def test_slow_processor_answers_408_after_keepalive() -> None:
    with LocalRuntime(Slow, service="demo", keepalive_ms=100) as rt:
        with EASClient(rt.endpoint, max_retries=0) as client:
            with pytest.raises(ServerTimeoutError, match="timed out after 100 ms"):
                client.predict(b"0.5")
            assert client.predict(b"0") == b"slow"


def test_keepalive_and_workers_from_default_properties_and_app_json() -> None:
    props = default_properties()
    props.put(b"rpc.keepalive", b"250")
    props.put("rpc.worker_threads", 3)
    try:
        with LocalRuntime(Echo, service="demo") as rt:
            assert (rt.settings.keepalive_ms, rt.settings.worker_threads) == (250, 3)
    finally:
        props.clear()
    flat = {"name": "from-json", "metadata": {"rpc.keepalive": 700, "rpc.max_queue_size": 7}}
    with LocalRuntime(Echo, app_json=flat, service=None) as rt:  # type: ignore[arg-type]  # None: from app.json
        assert (rt.settings.service, rt.settings.keepalive_ms, rt.settings.queue_size) == (
            "from-json",
            700,
            7,
        )
    nested = {"name": "n", "metadata": {"rpc": {"keepalive": 900, "worker_threads": 2}}}
    with LocalRuntime(Echo, app_json=nested) as rt:
        assert (rt.settings.service, rt.settings.keepalive_ms, rt.settings.worker_threads) == ("demo", 900, 2)


def test_initialize_runs_once_before_the_first_request() -> None:
    proc = Echo()
    with LocalRuntime(proc, service="demo") as rt, EASClient(rt.endpoint) as client:
        client.predict_many([b"x"] * 10, concurrency=4)
    assert proc.init_calls == 1


def test_discovery_api_on_both_paths_lists_the_instances() -> None:
    with LocalRuntime(Echo, service="demo", instances=3) as rt:
        for prefix in (
            "/api/v1/servicediscovery/upstreams/",
            "/exported/apis/eas.alibaba-inc.k8s.io/v1/upstreams/",
        ):
            status, body = _get(rt.base_url + prefix + "demo")
            assert status == 200
            ports = [int(u.rsplit(":", 1)[1]) for u in rt.instance_urls]
            assert json.loads(body) == {
                "endpoints": {"items": [{"ip": "127.0.0.1", "port": p, "weight": 100} for p in ports]}
            }
            assert _get(rt.base_url + prefix + "other")[0] == 404


def test_faults_are_injected_deterministically() -> None:
    with LocalRuntime(Echo, service="demo", faults=FaultSpec(rate_503=0.3, seed=1)) as rt:
        with EASClient(rt.endpoint, max_retries=0) as client:
            first = [_outcome(client) for _ in range(40)]
        rt.set_faults(FaultSpec(rate_503=0.3, seed=1))
        with EASClient(rt.endpoint, max_retries=0) as client:
            second = [_outcome(client) for _ in range(40)]
        assert first == second
        assert 5 <= first.count("ServiceUnavailableError") <= 20
        rt.set_faults(FaultSpec(rate_reset=1.0))
        with EASClient(rt.endpoint, max_retries=0) as client, pytest.raises(ReadError):
            client.predict(b"x")
        rt.set_faults(FaultSpec(rate_429=1.0, retry_after="0"))
        with EASClient(rt.endpoint, max_retries=2) as client, pytest.raises(StatusError) as info:
            client.predict(b"x")
        assert (info.value.status, info.value.attempts, info.value.headers["retry-after"]) == (429, 3, "0")


def _outcome(client: EASClient) -> str:
    try:
        return str(client.predict(b"x").decode())
    except ServiceUnavailableError as exc:
        return type(exc).__name__


def test_admin_api_sets_faults_and_reports_stats() -> None:
    with LocalRuntime(Echo, service="demo") as rt:
        status, body, _ = _post(rt.base_url + "/_admin/faults", json.dumps({"rate_450": 1.0}).encode())
        assert status == 200 and json.loads(body)["rate_450"] == 1.0
        assert _post(rt.endpoint, b"x")[0] == 450
        assert _post(rt.base_url + "/_admin/faults", b'{"rate_450": 2}')[0] == 400
        assert _post(rt.base_url + "/_admin/faults", b"{}")[0] == 200
        assert _post(rt.endpoint, b"x")[0] == 200
        status, stats = _get(rt.base_url + "/_admin/stats")
        assert json.loads(stats)["statuses"] == {"200": 1, "450": 1}


def test_graceful_shutdown_finishes_requests_in_flight() -> None:
    proc = Blocking(worker_threads=2)
    rt = LocalRuntime(proc, service="demo").start()
    results: list[Any] = []
    caller = threading.Thread(target=lambda: results.append(_post(rt.endpoint, b"inflight")))
    caller.start()
    assert proc.entered.acquire(timeout=10)
    stopper = threading.Thread(target=rt.stop)
    stopper.start()
    proc.release.set()
    caller.join(10)
    stopper.join(30)
    assert results and results[0][:2] == (200, b"done:inflight")
    assert not stopper.is_alive()


def test_constructor_keywords_and_model_path(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from eas_client.server import get_model_path

    monkeypatch.setenv("EAS_MODEL_PATH", "/overwritten")  # restored (removed) after the test
    proc = Echo(worker_threads=3, worker_processes=2, io_threads=4, endpoint="0.0.0.0:0/", custom="kept")
    assert (proc.worker_threads, proc.worker_processes, proc.io_threads) == (3, 2, 4)
    assert proc.extra_options == {"custom": "kept"}
    with LocalRuntime(proc, service="demo", model_path=str(tmp_path)) as rt:
        assert rt.settings.worker_threads == 3
        assert get_model_path() == str(tmp_path) == proc.get_model_path()
