"""Bad input to the queue API gets a typed HTTP status and a message naming the problem; a watch
that cannot start is refused at the handshake with an HTTP status (never accepted then closed)."""

from __future__ import annotations

from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from tests.queue_server.conftest import Service
from tests.queue_server.helpers import Queue


@pytest.mark.parametrize(
    ("method", "params", "body", "status", "needle"),
    [
        ("POST", {"_color_": "red"}, b"x", 400, "'_color_' is reserved"),
        ("POST", {"_priority_": "high"}, b"x", 400, "_priority_ must be a whole number"),
        ("POST", {"_priority_": "-1"}, b"x", 400, "_priority_ must be at least 0"),
        ("GET", {"_index_": "-1"}, None, 400, "_index_ must be at least 0"),
        ("GET", {"_length_": "0"}, None, 400, "_length_ must be at least 1"),
        ("GET", {"_timeout_": "soon"}, None, 400, "_timeout_ 'soon' is not a duration"),
        ("GET", {"_timeout_": "5"}, None, 400, "_timeout_ '5' is not a duration"),
        ("GET", {"_timeout_": ""}, None, 400, "_timeout_ '' is not a duration"),
        ("GET", {"_timeout_": "-1s"}, None, 400, "units ms, s, m, h"),
        ("GET", {"_auto_delete_": "maybe"}, None, 400, "_auto_delete_ must be true or false"),
        ("GET", {"_trunc_": "true"}, None, 400, "'_trunc_' is reserved"),
        ("GET", {"_search_": "true", "_index_": "0"}, None, 400, "index 0 is not positive"),
        ("GET", {"_watch_": "true", "_window_": "0"}, None, 400, "_window_ must be at least 1"),
        ("PUT", {"_indexes_": "1,0"}, None, 400, "index 0 is not positive"),
        ("PUT", {"_indexes_": "1,x"}, None, 400, "'x' is not an index"),
        ("PUT", {}, None, 400, "_indexes_ is required"),
        ("DELETE", {"_indexes_": "-3"}, None, 400, "index -3 is not positive"),
        ("DELETE", {"_trunc_": "true", "_index_": "0"}, None, 400, "index 0 is not positive"),
        ("PATCH", {}, None, 405, "not a queue operation"),
    ],
)
def test_bad_queries(
    service: Service, method: str, params: dict[str, Any], body: Any, status: int, needle: str
) -> None:
    resp = service.sink.call(method, params, body)
    assert resp.status_code == status
    assert needle in resp.text


@pytest.mark.parametrize(
    "code", ["lower", "Bad-Code", "A.B.C", "VeryLongCodeNameThatGoesOn", "", "Bad_Code", "Timeout%0A"]
)
def test_negative_code_outside_the_pattern(service: Service, code: str) -> None:
    index, _ = service.sink.put(b"x")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = f"_code_={code}&_reason_=r".encode()
    resp = service.sink.call("PUT", {"_indexes_": index, "_negative_": "true"}, body, **form)
    assert resp.status_code == 400
    assert "_code_" in resp.text


def test_negative_reason_over_1024_bytes(service: Service) -> None:
    index, _ = service.sink.put(b"x")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = b"_code_=Timeout&_reason_=" + b"r" * 1025
    resp = service.sink.call("PUT", {"_indexes_": index, "_negative_": "true"}, body, **form)
    assert resp.status_code == 400 and "_reason_ is over 1024 bytes" in resp.text


@pytest.mark.parametrize("code", ["Timeout", "Model.Failed", "500"])
def test_negative_codes_in_the_pattern(service: Service, code: str) -> None:
    index, _ = service.sink.put(b"x")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    resp = service.sink.call(
        "PUT", {"_indexes_": index, "_negative_": "true"}, f"_code_={code}".encode(), **form
    )
    assert resp.status_code == 200, resp.text


def test_unknown_queue_and_wrong_token(service: Service) -> None:
    other = Queue(service.rt.endpoint + "/results", "queue-token")
    wrong = Queue(service.sink.url, "wrong-token")
    try:
        resp = other.call("GET", {"_attrs_": "true"})
        assert resp.status_code == 404 and "'svc/results' does not exist" in resp.text
        resp = wrong.call("POST", body=b"x")
        assert resp.status_code == 401 and "token" in resp.text
        assert "wrong-token" not in resp.text
        with pytest.raises(InvalidStatus) as refused:
            other.watch()
        assert refused.value.response.status_code == 404
        assert b"does not exist" in refused.value.response.body
        with pytest.raises(InvalidStatus) as refused:
            wrong.watch()
        assert refused.value.response.status_code == 401
        with pytest.raises(InvalidStatus) as refused:
            service.sink.watch(_window_=0)
        assert refused.value.response.status_code == 400
        assert b"_window_ must be at least 1" in refused.value.response.body
        with pytest.raises(InvalidStatus) as refused:
            service.sink.watch(_shard_=1)
        assert refused.value.response.status_code == 400
    finally:
        other.close()
        wrong.close()
    assert service.sink.length() == 0  # nothing refused was queued


def test_oversized_put_is_refused_before_it_is_read() -> None:
    from eas_client.testing import LocalRuntime
    from tests.queue_server.conftest import Upper

    with LocalRuntime(Upper, service="svc", async_mode=True, max_body=1024) as rt:
        sink = Queue(rt.endpoint + "/sink", None)
        try:
            resp = sink.call("POST", body=b"x" * 2048)
            assert resp.status_code == 413
            assert sink.length() == 0
        finally:
            sink.close()


def test_cli_queue_flags_need_async_and_a_valid_store(capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    from eas_client.cli import main

    app = str(Path(__file__).with_name("queue_app.py"))
    with pytest.raises(SystemExit, match="--queue-store and --queue-lease need --async"):
        main(["serve", app, "--port", "0", "--queue-store", "sqlite:q.db"])
    with pytest.raises(SystemExit, match="write 'memory' or 'sqlite:PATH'"):
        main(["serve", app, "--port", "0", "--async", "--queue-store", "redis://x"])
    with pytest.raises(SystemExit, match="cannot open the SQLite file"):
        main(["serve", app, "--port", "0", "--async", "--queue-store", "sqlite:/nonexistent/dir/q.db"])
