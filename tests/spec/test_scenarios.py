"""Runs every case of spec/scenarios against a scripted server, on every client engine."""

from __future__ import annotations

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
    return Reply(
        spec.get("status", 200),
        spec.get("headers", {}),
        body,
        spec.get("delay_ms", 0),
        spec.get("reset", False),
    )


@pytest.mark.parametrize("case", params("scenarios", stems("scenarios")))
def test_scenario(case: dict[str, Any], make_client: ClientFactory) -> None:
    inp, exp = case["input"], case["expect"]
    token = inp["client"].get("token")
    with ScriptedServer([_reply(r) for r in inp["replies"]]) as server:
        client = _client(make_client, server, inp["client"])
        outcome = exp["outcome"]
        if "error" in outcome:
            with pytest.raises(getattr(eas_client, outcome["error"])) as info:
                _call(client, inp["call"])
            err = info.value
            assert type(err).__name__ == outcome["error"]
            assert err.attempts == outcome["attempts"]
            if "status" in outcome:
                assert err.status == outcome["status"]
            if "last_error" in outcome:
                assert type(err.last_error).__name__ == outcome["last_error"]
            assert err.endpoint is not None and token not in str(err) if token else True
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
    assert len(server.seen) == len(exp["requests"])
    for seen, want in zip(server.seen, exp["requests"], strict=True):
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
