"""Client behaviour over a real socket, once for every engine (sync/async × default/httpx)."""

from __future__ import annotations

import logging
import threading

import pytest

from eas_client import (
    ConfigError,
    ConnectError,
    EASResponse,
    PayloadError,
    QueueFullError,
    ServiceUnavailableError,
)
from eas_client._base_client import USER_AGENT

from ..conftest import ClientFactory
from ..scripted_server import Reply, ScriptedServer

TOKEN = "tok-1234567890-secret"


def test_predict_returns_the_body_exactly_as_written(make_client: ClientFactory) -> None:
    with ScriptedServer([Reply(200, body=b"True")]) as srv:
        client = make_client(srv.url(), TOKEN)
        assert client.predict(b"2 105") == b"True"
    assert srv.seen[0].body == b"2 105"
    assert srv.seen[0].headers["authorization"] == TOKEN


def test_user_agent_is_appended_to_the_clients_own(make_client: ClientFactory) -> None:
    with ScriptedServer([Reply(200, body=b"ok")]) as srv:
        client = make_client(srv.url(), TOKEN, user_agent="my-app/1.2 (batch)")
        assert client.predict(b"x") == b"ok"
    assert srv.seen[0].headers["user-agent"] == f"{USER_AGENT} my-app/1.2 (batch)"


def test_request_returns_status_lowercase_headers_body_and_attempts(make_client: ClientFactory) -> None:
    reply = Reply(200, {"X-Request-Id": "abc", "Content-Type": "application/json"}, b'{"y": [1, 2]}')
    with ScriptedServer([reply]) as srv:
        resp = make_client(srv.url(), TOKEN).request({"x": 1})
    assert isinstance(resp, EASResponse)
    assert (resp.status, resp.attempts) == (200, 1)
    assert resp.headers["x-request-id"] == "abc"
    assert resp.json() == {"y": [1, 2]}
    assert resp.text == '{"y": [1, 2]}'


def test_one_connection_is_reused_across_calls(make_client: ClientFactory) -> None:
    with ScriptedServer() as srv:
        client = make_client(srv.url(), TOKEN)
        for _ in range(5):
            assert client.predict(b"x") == b"ok"
    assert len(srv.seen) == 5
    assert len({s.peer for s in srv.seen}) == 1  # one client port: keep-alive reuse


def test_connect_errors_are_retried_then_raised_typed(make_client: ClientFactory) -> None:
    with ScriptedServer() as srv:
        url = srv.url()
    client = make_client(url, TOKEN, max_retries=2, rand=lambda: 0.0)
    with pytest.raises(ConnectError) as info:
        client.predict(b"x")
    assert info.value.attempts == 3
    assert info.value.endpoint == url
    assert TOKEN not in str(info.value)


def test_retry_log_lines_name_attempt_and_reason_without_the_token(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with ScriptedServer([Reply(503, body=TOKEN.encode()), Reply(450), Reply(200, body=b"ok")]) as srv:
        client = make_client(srv.url(), TOKEN, rand=lambda: 0.0)
        with caplog.at_level(logging.DEBUG, logger="eas_client"):
            assert client.predict(b"x") == b"ok"
    lines = [r.getMessage() for r in caplog.records if r.name == "eas_client"]
    assert (
        lines[0].startswith("eas attempt 1 POST http://127.0.0.1:")
        and "-> 503; status 503: retry 1" in lines[0]
    )
    assert "eas attempt 2" in lines[1] and "-> 450; status 450: retry 2" in lines[1]
    assert "eas attempt 3" in lines[2] and "-> 200" in lines[2]
    assert TOKEN not in caplog.text


def test_final_error_carries_status_request_id_and_attempts(make_client: ClientFactory) -> None:
    replies = [Reply(450, {"X-Eas-Request-Id": f"r{i}"}, b"queue full") for i in range(2)]
    with ScriptedServer(replies) as srv:
        client = make_client(srv.url(), TOKEN, max_retries=1, rand=lambda: 0.0)
        with pytest.raises(QueueFullError) as info:
            client.predict(b"x")
    err = info.value
    assert (err.status, err.request_id, err.attempts, err.body) == (450, "r1", 2, b"queue full")
    assert str(err).startswith("HTTP 450 from service demo: queue full; every instance queue is full")


def test_backoff_wait_is_slept_between_attempts(make_client: ClientFactory) -> None:
    import time

    with ScriptedServer([Reply(503), Reply(200, body=b"ok")]) as srv:
        client = make_client(srv.url(), TOKEN, rand=lambda: 1.0, retry=None)
        start = time.monotonic()
        assert client.predict(b"x") == b"ok"
        waited = time.monotonic() - start
    assert waited >= 0.1  # rand 1.0 × backoff_base 0.1 s before retry 1


def test_payload_errors_are_raised_before_any_request(make_client: ClientFactory) -> None:
    with ScriptedServer() as srv:
        client = make_client(srv.url(), TOKEN)
        with pytest.raises(PayloadError, match="cannot send a set"):
            client.predict({1, 2})
        with pytest.raises(PayloadError, match="not JSON-serialisable"):
            client.predict({"a": object()})
        with pytest.raises(ConfigError, match="must not contain"):
            client.predict(b"x", path="a?b=1")
    assert srv.seen == []


def test_caller_headers_dict_is_never_modified(make_client: ClientFactory) -> None:
    theirs = {"X-Trace": "1"}
    with ScriptedServer() as srv:
        client = make_client(srv.url(), TOKEN, headers=theirs)
        client.predict(b"x", headers=theirs)
    assert theirs == {"X-Trace": "1"}
    assert srv.seen[0].headers["x-trace"] == "1"


def test_predict_many_keeps_order_and_one_outcome_per_input(make_client: ClientFactory) -> None:
    # The reply echoes the input so each result can be matched to its input whatever the order.
    class Echo(ScriptedServer):
        def next_reply(self, seen):  # type: ignore[no-untyped-def]
            super().next_reply(seen)
            if seen.body.startswith(b"bad"):
                return Reply(400, body=b"rejected " + seen.body)
            return Reply(200, body=seen.body.upper())

    inputs = [f"item-{i}".encode() if i % 7 else f"bad-{i}".encode() for i in range(60)]
    with Echo() as srv:
        client = make_client(srv.url(), TOKEN)
        results = client.predict_many(inputs, concurrency=8)
    assert len(results) == 60
    for item, result in zip(inputs, results, strict=True):
        if item.startswith(b"bad"):
            assert type(result).__name__ == "BadRequestError" and item in result.body
        else:
            assert result == item.upper()
    assert sorted(s.body for s in srv.seen) == sorted(inputs)  # each input sent exactly once


def test_predict_many_never_exceeds_the_concurrency_bound(make_client: ClientFactory) -> None:
    with ScriptedServer(default=Reply(200, body=b"ok", delay_ms=20)) as srv:
        client = make_client(srv.url(), TOKEN)
        results = client.predict_many([b"x"] * 24, concurrency=3)
    assert results == [b"ok"] * 24
    assert srv.max_in_flight == 3


def test_predict_many_reads_a_generator_lazily_and_reports_progress(make_client: ClientFactory) -> None:
    seen: list[tuple[int, int | None]] = []
    lock = threading.Lock()

    def progress(done: int, total: int | None) -> None:
        with lock:
            seen.append((done, total))

    with ScriptedServer() as srv:
        client = make_client(srv.url(), TOKEN)
        results = client.predict_many((b"x" for _ in range(5)), concurrency=2, progress=progress)
    assert results == [b"ok"] * 5
    assert sorted(d for d, _ in seen) == [1, 2, 3, 4, 5]
    assert {t for _, t in seen} == {None}


def test_predict_many_without_return_exceptions_raises_the_failure(make_client: ClientFactory) -> None:
    with ScriptedServer([Reply(200, body=b"a"), Reply(503)], default=Reply(503)) as srv:
        client = make_client(srv.url(), TOKEN, max_retries=0)
        with pytest.raises(ServiceUnavailableError):
            client.predict_many([b"1", b"2", b"3", b"4"], concurrency=1, return_exceptions=False)
    assert len(srv.seen) == 2  # stopped taking inputs after the failure


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_predict_many_rejects_a_bad_concurrency(make_client: ClientFactory, bad: object) -> None:
    client = make_client("http://127.0.0.1:1/api/predict/x", TOKEN)
    with pytest.raises(ConfigError, match="concurrency must be an integer >= 1"):
        client.predict_many([b"x"], concurrency=bad)


def test_predict_many_of_nothing_is_an_empty_list(make_client: ClientFactory) -> None:
    client = make_client("http://127.0.0.1:1/api/predict/x", TOKEN)
    assert client.predict_many([]) == []


def test_progress_true_draws_a_tqdm_bar(
    make_client: ClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    with ScriptedServer() as srv:
        client = make_client(srv.url(), TOKEN)
        assert client.predict_many([b"x"] * 3, progress=True) == [b"ok"] * 3
    assert "3/3" in capsys.readouterr().err


def test_with_options_changes_settings_and_shares_the_pool(make_client: ClientFactory) -> None:
    with ScriptedServer([Reply(503), Reply(503)], default=Reply(200, body=b"ok")) as srv:
        client = make_client(srv.url(), TOKEN, rand=lambda: 0.0)
        inner = client.client if hasattr(client, "client") else client
        quick = inner.with_options(max_retries=0, headers={"X-Mode": "quick"})
        assert quick.config.retry.max_retries == 0 and inner.config.retry.max_retries == 3
        assert quick._transport is inner._transport
        assert quick.config.token == TOKEN
        if hasattr(client, "client"):
            from ..conftest import AsyncFacade

            quick = AsyncFacade(quick, client._loop)
        with pytest.raises(ServiceUnavailableError):
            quick.predict(b"x")
        quick.close()  # leaves the shared pool open
        assert client.predict(b"y") == b"ok"  # 503 once more, then ok, on the original's pool
    assert srv.seen[-1].headers.get("x-mode") is None
    assert srv.seen[0].headers["x-mode"] == "quick"
