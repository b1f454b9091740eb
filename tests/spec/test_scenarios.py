"""Runs every case of spec/scenarios against a scripted server, on every client engine, following
the runner contract of spec/protocol.md §11."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from typing import Any

import pytest

import eas_client
from eas_client import AdaptiveConcurrency, RetryBudget, RetryPolicy
from eas_client._core import auth

from ..conftest import ClientFactory
from ..scripted_server import Reply, ScriptedServer, Seen
from .corpus import bytes_match, decode_bytes, decode_data, params, stems

POLICY_KEYS = (
    "max_retries",
    "backoff_base",
    "backoff_max",
    "retry_after_cap",
    "deadline",
    "retry_statuses",
    "retry_errors",
)
ENV_KEYS = ("EAS_ENDPOINT", "EAS_TOKEN", "EAS_SERVICE_NAME")


class Run:
    """One scenario's context: the origin for ``{origin}``, the token(s) that must stay hidden and
    the log lines the client wrote."""

    def __init__(self, case: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
        self.case = case
        self.caplog = caplog
        client = case["input"]["client"]
        self.secrets = [t for t in (client.get("token"), client.get("env", {}).get("EAS_TOKEN")) if t]
        self.origin = ""

    def fill(self, text: str) -> str:
        return text.replace("{origin}", self.origin)

    def log_lines(self) -> list[str]:
        return [r.getMessage() for r in self.caplog.records if r.name.startswith("eas_client")]


def _client(
    make_client: ClientFactory, run: Run, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> Any:
    spec = dict(run.case["input"]["client"])
    run.origin = server.origin
    for name in ENV_KEYS:
        monkeypatch.delenv(name, raising=False)
    env = spec.pop("env", {})
    for name, value in env.items():
        monkeypatch.setenv(name, run.fill(value))
    endpoint = None if "EAS_ENDPOINT" in env else server.origin + spec.pop("endpoint_path", "")
    policy = RetryPolicy(**{k: spec.pop(k) for k in POLICY_KEYS if k in spec})
    rand = spec.pop("rand", 0.0)
    extra: dict[str, Any] = {}
    if "clock" in spec:
        fixed = float(spec.pop("clock"))
        extra["clock"] = lambda: fixed
    if "retry_budget" in spec:  # BUDGET-1: null turns it off, an object sets its parameters
        given = spec.pop("retry_budget")
        extra["retry_budget"] = None if given is None else RetryBudget(**given)
    token = spec.pop("token", None)
    service = spec.pop("service_name", None)
    return make_client(
        endpoint, token, service_name=service, retry=policy, rand=lambda: rand, **extra, **spec
    )


def _call(client: Any, call: dict[str, Any]) -> Any:
    if "batch" in call:
        kwargs = {k: v for k, v in call.items() if k not in ("batch", "cancel_after_ms")}
        if isinstance(kwargs.get("concurrency"), dict):  # ADAPT-1's fields
            kwargs["concurrency"] = AdaptiveConcurrency(**kwargs["concurrency"])
        return client.predict_many([decode_data(d) for d in call["batch"]], **kwargs)
    kwargs = {k: v for k, v in call.items() if k not in ("data", "repeat", "pause_ms", "cancel_after_ms")}
    if "params" in kwargs:
        kwargs["params"] = [tuple(p) for p in kwargs["params"]]
    return client.request(decode_data(call["data"]), **kwargs)


def _reply(spec: dict[str, Any]) -> Reply:
    body = decode_bytes(spec["body"]) if "body" in spec else b""
    if "body_repeat" in spec:
        body = bytes.fromhex(spec["body_repeat"]["byte"]) * spec["body_repeat"]["count"]
    return Reply(
        spec.get("status", 200),
        spec.get("headers", {}),
        body,
        spec.get("delay_ms", 0),
        spec.get("reset", False),
        echo=spec.get("echo", False),
        when=decode_bytes(spec["when"]) if "when" in spec else None,
        drip_ms=spec.get("drip_ms", 0),
        close_after=spec.get("close_after", False),
        omit_length=spec.get("omit_length", False),
    )


@pytest.mark.parametrize("case", params("scenarios", stems("scenarios")))
def test_scenario(
    case: dict[str, Any],
    make_client: ClientFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG, logger="eas_client")
    run = Run(case, caplog)
    if "instances" in case["input"]:
        _run_direct(run, make_client, monkeypatch)
        return
    inp, exp = case["input"], case["expect"]
    with ScriptedServer([_reply(r) for r in inp["replies"]]) as server:
        client = _client(make_client, run, server, monkeypatch)
        _check_outcome(client, run)
        if "budget_denied" in exp:
            assert client.retry_budget_denied == exp["budget_denied"]
    if "requests" in exp:
        _check_requests(server.seen, exp["requests"], run, unordered=exp.get("unordered_requests", False))
    if "max_in_flight" in exp:
        assert server.max_in_flight == exp["max_in_flight"]
    _check_log(run)


def _run_direct(run: Run, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    inp, exp = run.case["input"], run.case["expect"]
    with contextlib.ExitStack() as stack:
        instances = [
            stack.enter_context(ScriptedServer([_reply(r) for r in i.get("replies", [])]))
            for i in inp["instances"]
        ]
        for spec, server in zip(inp["instances"], instances, strict=True):
            if spec.get("down"):
                server.__exit__()  # bound, then closed: its port now refuses connections
        discovery = stack.enter_context(
            ScriptedServer([_discovery_reply(r, inp["instances"], instances) for r in inp["discovery"]])
        )
        client = _client(make_client, run, discovery, monkeypatch)
        _check_outcome(client, run)
    if "instance_requests" in exp:
        assert [len(s.seen) for s in instances] == exp["instance_requests"]
    if "discovery_requests" in exp:
        assert len(discovery.seen) == exp["discovery_requests"]
    service = inp["client"]["service_name"].split("/", 1)[0]
    for seen in discovery.seen:
        assert (seen.method, seen.path, seen.query) == (
            "GET",
            f"/api/v1/servicediscovery/upstreams/{service}",
            "",
        )
        assert seen.headers["user-agent"].startswith("eas-client-")
        assert "authorization" not in seen.headers
    if "final_instance" in exp:
        last = max((s.seq, i) for i, server in enumerate(instances) for s in server.seen)
        assert last[1] == exp["final_instance"]
    if "requests" in exp:
        seen_all = [s for server in instances for s in server.seen]
        _check_requests(seen_all, exp["requests"], run, unordered=exp.get("unordered_requests", False))
    _check_log(run)


def _discovery_reply(
    spec: dict[str, Any], specs: list[dict[str, Any]], servers: list[ScriptedServer]
) -> Reply:
    if "items" not in spec:
        return _reply(spec)
    items = [
        {"ip": "127.0.0.1", "port": int(servers[i].origin.rsplit(":", 1)[1]), "weight": specs[i]["weight"]}
        for i in spec["items"]
    ]
    return Reply(
        spec.get("status", 200),
        {"Content-Type": "application/json"},
        json.dumps({"endpoints": {"items": items}}).encode(),
        spec.get("delay_ms", 0),
    )


def _check_outcome(client: Any, run: Run) -> None:
    call = run.case["input"]["call"]
    expect = run.case["expect"]
    for warmup in run.case["input"].get("warmup", []):
        _call(client, warmup)  # §11: succeeds, leaves a kept-alive connection, is not timed
    for n in range(call.get("repeat", 1)):
        started = time.monotonic()
        _check_one_outcome(client, run)
        elapsed_ms = (time.monotonic() - started) * 1000
        if "elapsed_ms" in expect:
            assert expect["elapsed_ms"]["min"] <= elapsed_ms <= expect["elapsed_ms"]["max"], (n, elapsed_ms)
        if call.get("pause_ms"):
            client_pause(client, call["pause_ms"] / 1000)


def client_pause(client: Any, seconds: float) -> None:
    """The scenario's own pause after a call (not a sync). An async client's event loop keeps
    running meanwhile, as in a real program, so its background work (DISC-6) can proceed."""
    loop = getattr(client, "_loop", None)
    if loop is None:
        time.sleep(seconds)
    else:
        loop.run_until_complete(asyncio.sleep(seconds))


def _check_one_outcome(client: Any, run: Run) -> None:
    call, outcome = run.case["input"]["call"], run.case["expect"]["outcome"]
    if "cancel_after_ms" in call:
        _check_cancelled(client, run, outcome.get("results"))
        return
    if "error" in outcome:
        with pytest.raises(getattr(eas_client, outcome["error"])) as info:
            _call(client, call)
        err = info.value
        assert type(err).__name__ == outcome["error"]
        for key in ("attempts", "status", "request_id"):
            if key in outcome:
                assert getattr(err, key) == outcome[key], key
        if "last_error" in outcome:
            assert type(err.last_error).__name__ == outcome["last_error"]
        if "service_url" in outcome:
            assert err.endpoint == run.fill(outcome["service_url"])
        for text in outcome.get("message_contains", []):
            assert text in str(err), text
        _check_hidden(run, _error_texts(err))
    elif "results" in outcome:
        results = _call(client, call)
        assert len(results) == len(outcome["results"])
        _check_results(run, results, outcome["results"])
    else:
        resp = _call(client, call)
        assert bytes_match(resp.body, outcome["body"])
        assert resp.attempts == outcome["attempts"]


def _check_results(run: Run, results: list[Any], wanted: list[dict[str, Any]]) -> None:
    assert len(results) == len(wanted)
    for got, want in zip(results, wanted, strict=True):
        if want.get("cancelled"):
            assert isinstance(got, asyncio.CancelledError), got
        elif "error" in want:
            assert type(got).__name__ == want["error"], got
            if "last_error" in want:
                assert type(got.last_error).__name__ == want["last_error"]
            _check_hidden(run, _error_texts(got))
        else:
            assert not isinstance(got, BaseException), got
            assert bytes_match(got, want["body"])


def _check_cancelled(client: Any, run: Run, results: list[dict[str, Any]] | None) -> None:
    """RETRY-8: cancel the call's asyncio task after ``cancel_after_ms``; the sync API has no caller
    cancellation, so (§11) it does not run these cases. A cancelled batch (ADAPT-6) reports each
    item's outcome on the CancelledError it raises."""
    call = run.case["input"]["call"]
    loop = getattr(client, "_loop", None)
    if loop is None:
        pytest.skip("a blocking call without caller cancellation (protocol.md §11)")
    caught: list[BaseException] = []

    async def call_and_catch() -> None:
        try:
            await _call(client.client, call)
        except asyncio.CancelledError as exc:
            caught.append(exc)
            raise

    task = loop.create_task(call_and_catch())
    loop.call_later(call["cancel_after_ms"] / 1000, task.cancel)
    with pytest.raises(asyncio.CancelledError):
        loop.run_until_complete(task)
    if results is not None:
        assert len(caught) == 1
        _check_results(run, getattr(caught[0], "results", []), results)


def _error_texts(err: BaseException) -> list[str]:
    """Every text an error shows: its message, string form and body excerpt (§11: no token)."""
    body = bytes(getattr(err, "body", b"") or b"").decode("utf-8", "replace")
    return [str(err), repr(err), getattr(err, "message", ""), body]


def _check_hidden(run: Run, texts: list[str]) -> None:
    for secret in run.secrets:
        if len(secret) >= 8:  # SEC-1: shorter test tokens are not searched for inside text
            assert not [t for t in texts if secret in t]


def _check_log(run: Run) -> None:
    lines = run.log_lines()
    _check_hidden(run, lines)
    want = run.case["expect"].get("log")
    if want is None:
        return
    if "lines_with_url" in want:
        url = run.origin
        assert len([ln for ln in lines if url in ln]) == want["lines_with_url"], lines
    for text in want.get("contains", []):
        assert any(text in ln for ln in lines), (text, lines)
    for text in want.get("absent", []):
        assert not any(text in ln for ln in lines), text


def _check_requests(seen_list: list[Seen], wanted: list[dict[str, Any]], run: Run, unordered: bool) -> None:
    assert len(seen_list) == len(wanted)
    if unordered:  # concurrent calls arrive in any order: pair each expected request with its body
        seen_list = sorted(seen_list, key=lambda s: s.body)
        wanted = sorted(wanted, key=lambda w: decode_bytes(w["body"]) if "body" in w else b"")
    token = run.case["input"]["client"].get("token")
    for seen, want in zip(seen_list, wanted, strict=True):
        assert (seen.method, seen.path, seen.query) == (want["method"], want["path"], want.get("query", ""))
        assert seen.headers["user-agent"].startswith("eas-client-")
        if seen.method == "POST":  # HTTP-1: HTTP/1.1 with a Content-Length, never chunked
            assert seen.version == "HTTP/1.1"
            assert seen.headers.get("content-length") == str(len(seen.body))
            assert "transfer-encoding" not in seen.headers
        for name, value in want.get("headers", {}).items():
            assert seen.headers.get(name) == value, name  # a null value: the header must be absent
        if "body" in want:
            assert bytes_match(seen.body, want["body"])
        if want.get("signature_valid"):
            h = seen.headers
            assert auth.md5_matches(seen.body, h["content-md5"])
            assert auth.verify_signature(
                token, h["authorization"], h["content-md5"], h["content-type"], h["date"], seen.path
            )
    assert Counter(s.method for s in seen_list) == Counter(w["method"] for w in wanted)
