"""Runs spec/scenarios/queue.json (protocol.md §15) on both queue twins and every HTTP engine,
against the scripted server, following §11 like the predict scenarios."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import eas_client
from eas_client import RetryPolicy
from eas_client._core.dataframe import DataFrame
from eas_client.queue import AsyncQueueClient, Collected, QueueClient

from ..conftest import ENGINES
from ..scripted_server import ScriptedServer
from .corpus import decode_data, params
from .test_scenarios import POLICY_KEYS, Run, _check_hidden, _check_log, _check_requests, _error_texts, _reply


class QueueFactory:
    """Builds a queue client for one engine; an async one is driven on a private event loop."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.loop = asyncio.new_event_loop() if engine.startswith("async") else None
        self._cleanups: list[Any] = []

    def __call__(self, endpoint: str, token: str | None, **kwargs: Any) -> Any:
        if self.engine == "sync-urllib3":
            kwargs["engine"] = "urllib3"
        elif self.engine == "sync-httpx":
            hc = httpx.Client()
            self._cleanups.append(hc.close)
            kwargs["http_client"] = hc
        elif self.engine == "async-httpx":
            ahc = httpx.AsyncClient()
            self._cleanups.append(lambda: self.run(ahc.aclose()))
            kwargs["http_client"] = ahc
        if self.loop is None:
            client: Any = QueueClient(endpoint, token, **kwargs)
            self._cleanups.insert(0, client.close)
        else:
            client = AsyncQueueClient(endpoint, token, **kwargs)
            self._cleanups.insert(0, lambda: self.run(client.close()))
        client._inner._rand = lambda: 0.0  # TEST-1: waits are 0 unless a case asks otherwise
        return client

    def run(self, coro: Any) -> Any:
        assert self.loop is not None
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        for fn in self._cleanups:
            fn()
        if self.loop is not None:
            self.loop.close()


@pytest.fixture(params=ENGINES)
def make_queue(request: pytest.FixtureRequest) -> Iterator[QueueFactory]:
    factory = QueueFactory(request.param)
    yield factory
    factory.close()


def _to_json(value: Any) -> Any:
    if isinstance(value, DataFrame):
        return value.to_json()
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, tuple):  # put's (index, request_id)
        return {"index": value[0], "request_id": value[1]}
    return value


def _invoke(factory: QueueFactory, client: Any, op: str, args: dict[str, Any]) -> Any:
    a = dict(args)
    if op == "submit":
        inputs = [decode_data(d) for d in a.pop("inputs")]
        if factory.loop is None:
            outcomes: list[Collected] = list(client.submit_many(inputs, **a))
        else:

            async def gather() -> list[Collected]:
                return [c async for c in client.submit_many(inputs, **a)]

            outcomes = factory.run(gather())
        for done in outcomes:
            if done.error is not None:
                raise done.error
        return [done.result for done in outcomes]
    positional = [decode_data(a.pop("data"))] if "data" in a else []
    result = getattr(client, op)(*positional, **a)
    return factory.run(result) if factory.loop is not None else result


@pytest.mark.parametrize("case", params("scenarios", ["queue"]))
def test_queue_scenario(
    case: dict[str, Any],
    make_queue: QueueFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG, logger="eas_client")
    for name in ("EAS_ENDPOINT", "EAS_TOKEN", "EAS_SERVICE_NAME"):
        monkeypatch.delenv(name, raising=False)
    run = Run(case, caplog)
    inp, exp = case["input"], case["expect"]
    spec = dict(inp["client"])
    policy = RetryPolicy(**{k: spec.pop(k) for k in POLICY_KEYS if k in spec})
    call = inp["call"]["queue"]
    with ScriptedServer([_reply(r) for r in inp["replies"]]) as server:
        run.origin = server.origin
        token = spec.pop("token", None)
        client = make_queue(server.origin + spec.pop("endpoint_path", ""), token, retry=policy, **spec)
        outcome = exp["outcome"]
        if "error" in outcome:
            with pytest.raises(eas_client.EASError) as info:
                _invoke(make_queue, client, call["op"], call.get("args", {}))
            err = info.value
            assert type(err).__name__ == outcome["error"], err
            for key in ("attempts", "status", "request_id"):
                if key in outcome:
                    assert getattr(err, key) == outcome[key], key
            for text in outcome.get("message_contains", []):
                assert text in str(err), text
            _check_hidden(run, _error_texts(err))
        else:
            got = _invoke(make_queue, client, call["op"], call.get("args", {}))
            assert _to_json(got) == outcome["value"]
            if "attempts" in outcome:
                attempts = len([s for s in server.seen])
                assert attempts == outcome["attempts"]
    _check_requests(server.seen, exp["requests"], run, unordered=False)
    _check_log(run)
