"""Runs every case of spec/scenarios against a scripted server, on every client engine."""

from __future__ import annotations

import contextlib
import json
import math
import time
from typing import Any

import pytest

import eas_client
from eas_client import RetryPolicy
from eas_client._core import auth

from ..conftest import ClientFactory
from ..scripted_server import Reply, ScriptedServer
from .corpus import decode_bytes, decode_data, params, stems

POLICY_KEYS = (
    "max_retries",
    "backoff_base",
    "backoff_max",
    "retry_after_cap",
    "deadline",
    "retry_statuses",
    "retry_errors",
)


def _client(make_client: ClientFactory, server: ScriptedServer, spec: dict[str, Any]) -> Any:
    spec = dict(spec)
    service = spec.pop("service_name", None)
    endpoint = server.origin + spec.pop("endpoint_path", "")
    policy = RetryPolicy(**{k: spec.pop(k) for k in POLICY_KEYS if k in spec})
    return make_client(
        endpoint, spec.pop("token", None), service_name=service, retry=policy, rand=lambda: 0.0, **spec
    )


def _call(client: Any, call: dict[str, Any]) -> Any:
    if "batch" in call:
        kwargs = {k: v for k, v in call.items() if k != "batch"}
        return client.predict_many([decode_data(d) for d in call["batch"]], **kwargs)
    kwargs = {k: v for k, v in call.items() if k != "data"}
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
        spec.get("drip_ms", 0),
        spec.get("close_after", False),
        spec.get("omit_length", False),
    )


@pytest.mark.parametrize("case", params("scenarios", stems("scenarios")))
def test_scenario(case: dict[str, Any], make_client: ClientFactory) -> None:
    inp, exp = case["input"], case["expect"]
    if "instances" in inp:
        _run_direct(case, make_client)
        return
    with ScriptedServer([_reply(r) for r in inp["replies"]]) as server:
        client = _client(make_client, server, inp["client"])
        _check_outcome(client, inp, exp["outcome"])
    _check_requests(server.seen, exp["requests"], inp["client"].get("token"))


def _run_direct(case: dict[str, Any], make_client: ClientFactory) -> None:
    inp, exp = case["input"], case["expect"]
    with contextlib.ExitStack() as stack:
        instances = [
            stack.enter_context(ScriptedServer([_reply(r) for r in i.get("replies", [])]))
            for i in inp["instances"]
        ]
        for spec, server in zip(inp["instances"], instances, strict=True):
            if spec.get("down"):
                server.__exit__()  # its port now refuses connections
        discovery = stack.enter_context(
            ScriptedServer([_discovery_reply(r, inp["instances"], instances) for r in inp["discovery"]])
        )
        client = _client(make_client, discovery, inp["client"])
        _check_outcome(client, inp, exp["outcome"])
    if "instance_requests" in exp:
        assert [len(s.seen) for s in instances] == exp["instance_requests"]
    if "discovery_requests" in exp:
        assert len(discovery.seen) == exp["discovery_requests"]
    for seen in discovery.seen:
        assert (seen.method, seen.path) == ("GET", "/api/v1/servicediscovery/upstreams/demo")
        assert "authorization" not in seen.headers
    if "final_instance" in exp:
        last = max((s.seq, i) for i, server in enumerate(instances) for s in server.seen)
        assert last[1] == exp["final_instance"]
    if "requests" in exp:
        _check_requests(
            [s for server in instances for s in server.seen], exp["requests"], inp["client"].get("token")
        )


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
    )


def _check_outcome(client: Any, inp: dict[str, Any], outcome: dict[str, Any]) -> None:
    for call in inp.get("warmup", []):
        _call(client, call)
    started = time.monotonic()
    try:
        _check_call(client, inp, outcome)
    finally:
        elapsed = time.monotonic() - started
    assert outcome.get("min_elapsed_s", 0) <= elapsed <= outcome.get("max_elapsed_s", math.inf), elapsed


def _check_call(client: Any, inp: dict[str, Any], outcome: dict[str, Any]) -> None:
    token = inp["client"].get("token")
    if "error" in outcome:
        with pytest.raises(getattr(eas_client, outcome["error"])) as info:
            _call(client, inp["call"])
        err = info.value
        assert type(err).__name__ == outcome["error"]
        if "attempts" in outcome:
            assert err.attempts == outcome["attempts"]
        if "status" in outcome:
            assert err.status == outcome["status"]
        if "last_error" in outcome:
            assert type(err.last_error).__name__ == outcome["last_error"]
        if token:
            assert token not in str(err)
    elif "results" in outcome:
        results = _call(client, inp["call"])
        assert len(results) == len(outcome["results"])
        for got, want in zip(results, outcome["results"], strict=True):
            if "error" in want:
                assert type(got).__name__ == want["error"]
            else:
                assert got == decode_bytes(want["body"])
    else:
        resp = _call(client, inp["call"])
        assert resp.body == decode_bytes(outcome["body"])
        assert resp.attempts == outcome["attempts"]


def _check_requests(seen_list: list[Any], wanted: list[dict[str, Any]], token: str | None) -> None:
    assert len(seen_list) == len(wanted)
    for seen, want in zip(seen_list, wanted, strict=True):
        assert (seen.method, seen.path, seen.query) == (want["method"], want["path"], want.get("query", ""))
        assert seen.headers["user-agent"].startswith("eas-client-")
        for name, value in want.get("headers", {}).items():
            assert seen.headers.get(name) == value, name
        if "body" in want:
            assert seen.body == decode_bytes(want["body"])
        if want.get("signature_valid"):
            h = seen.headers
            assert auth.md5_matches(seen.body, h["content-md5"])
            assert auth.verify_signature(
                token, h["authorization"], h["content-md5"], h["content-type"], h["date"], seen.path
            )
