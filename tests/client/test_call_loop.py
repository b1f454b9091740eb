"""The call loop (BaseClient._flow) on its own, driven by hand with injected clocks and jitter, and
through both twins over a real socket with the sleep replaced."""

from __future__ import annotations

from typing import Any

import pytest

from eas_client import ConnectError, StatusError
from eas_client._base_client import BaseClient
from eas_client._core.errors import ConnectError as CoreConnectError
from eas_client._core.flow import RawResponse, Sleep, WireRequest

from ..conftest import ClientFactory
from ..scripted_server import Reply, ScriptedServer

TOKEN = "loop-token-123"


def _client(**kwargs: Any) -> BaseClient:
    client = BaseClient("http://127.0.0.1:9/api/predict/demo", TOKEN, **kwargs)
    ticks = iter(range(100))
    client._monotonic = lambda: float(next(ticks))  # each reading one second later
    client._clock = lambda: 1_700_000_000.0
    client._rand = lambda: 0.5
    return client


def test_flow_yields_the_request_then_sleeps_then_retries_then_returns() -> None:
    client = _client(max_retries=2, timeout=10.0)
    req = client._prepare(b"x", None, None, None, None, None)
    flow = client._flow(req)
    first = next(flow)
    assert first == WireRequest(
        "POST", "http://127.0.0.1:9", "/api/predict/demo", req.headers, b"x", 10.0, 5.0
    )
    assert flow.send(RawResponse(503, {}, b"busy")) == Sleep(0.05)  # rand 0.5 × base 0.1
    second = flow.send(None)
    assert isinstance(second, WireRequest) and second.timeout == 10.0
    with pytest.raises(StopIteration) as done:
        flow.send(RawResponse(200, {}, b"ok"))
    raw, attempts = done.value.value
    assert (raw.body, attempts) == (b"ok", 2)


def test_flow_raises_the_typed_error_when_the_retries_run_out() -> None:
    client = _client(max_retries=1)
    flow = client._flow(client._prepare(b"x", None, None, None, None, None))
    next(flow)
    assert isinstance(flow.send(CoreConnectError("refused")), Sleep)
    next(flow)
    with pytest.raises(ConnectError) as info:
        flow.send(CoreConnectError("refused again"))
    assert info.value.attempts == 2


def test_flow_never_sleeps_after_a_final_answer() -> None:
    client = _client(max_retries=3)
    flow = client._flow(client._prepare(b"x", None, None, None, None, None))
    next(flow)
    with pytest.raises(StatusError) as info:  # 400 is not retried: straight to the error
        flow.send(RawResponse(400, {}, b"bad"))
    assert (info.value.status, info.value.attempts) == (400, 1)


def _hook_sleep(client: Any, make_client: ClientFactory, slept: list[float]) -> None:
    inner = client.client if make_client.is_async else client
    if make_client.is_async:

        async def record(seconds: float) -> None:
            slept.append(seconds)

        inner._sleep = record
    else:
        inner._sleep = slept.append


def test_both_twins_sleep_through_the_injected_sleep(make_client: ClientFactory) -> None:
    slept: list[float] = []
    with ScriptedServer([Reply(503), Reply(450)], default=Reply(200, body=b"ok")) as srv:
        client = make_client(srv.url(), TOKEN, rand=lambda: 1.0)
        _hook_sleep(client, make_client, slept)
        assert client.predict(b"x") == b"ok"
    assert slept == [0.1, 0.2]  # full jitter at rand 1.0: base 0.1 s, then doubled
    assert len(srv.seen) == 3


def test_the_first_attempt_that_answers_never_sleeps(make_client: ClientFactory) -> None:
    slept: list[float] = []
    with ScriptedServer([Reply(200, body=b"ok"), Reply(400)]) as srv:
        client = make_client(srv.url(), TOKEN)
        _hook_sleep(client, make_client, slept)
        assert client.predict(b"x") == b"ok"
        with pytest.raises(Exception, match="HTTP 400"):
            client.predict(b"x")
    assert slept == []
