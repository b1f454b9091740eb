"""Runs every case of spec/vectors (except payloads.json, run by tests/payloads) against the core."""

from __future__ import annotations

import inspect
import logging
from typing import Any

import pytest

import eas_client
from eas_client._base_client import BaseClient
from eas_client._core import auth, config, discovery, endpoint, errors, redact, retry
from eas_client._core.flow import base_headers, prepare

from .corpus import bytes_match, decode_bytes, decode_data, params

EPS = 1e-9


def _policy(overrides: dict[str, Any] | None) -> config.RetryPolicy:
    return config.RetryPolicy(**(overrides or {}))


@pytest.mark.parametrize("case", params("vectors", ["endpoint"]))
def test_endpoint(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    pairs = [tuple(p) for p in inp["params"]] if "params" in inp else None

    def build() -> tuple[str, str, str | None]:
        ep = endpoint.parse_endpoint(inp["endpoint"], inp.get("service_name"))
        return (
            endpoint.build_url(ep, inp.get("path"), pairs),
            endpoint.build_path(ep, inp.get("path")),
            ep.service,
        )

    if "error" in exp:
        with pytest.raises(getattr(eas_client, exp["error"])):
            build()
        return
    assert build() == (exp["url"], exp["sign_path"], exp["service"])


def _make_config(inp: dict[str, Any]) -> config.ClientConfig:
    return config.build_config(
        "http://127.0.0.1:8080/api/predict/demo",
        inp["token"],
        service_name=None,
        auth=inp.get("auth", "token"),
        timeout=config.DEFAULT_TIMEOUT_S,
        connect_timeout=config.DEFAULT_CONNECT_TIMEOUT_S,
        retry=config.RetryPolicy(),
        headers=inp.get("client_headers"),
        user_agent="eas-client-python/test",
        env={},
    )


@pytest.mark.parametrize("case", params("vectors", ["headers"]))
def test_headers(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]

    def build() -> tuple[dict[str, str], bytes]:
        cfg = _make_config(inp)
        req = prepare(cfg, base_headers(cfg), decode_data(inp["data"]), headers=inp.get("headers"))
        return {k.lower(): v for k, v in req.headers.items()}, req.body

    if "error" in exp:
        with pytest.raises(getattr(eas_client, exp["error"])):
            build()
        return
    sent, body = build()
    assert sent["user-agent"].startswith("eas-client-")
    for name, value in exp["headers"].items():
        assert sent.get(name) == value, name
    for name in exp.get("absent", []):
        assert name not in sent
    if "body" in exp:
        assert bytes_match(body, exp["body"])


@pytest.mark.parametrize("case", params("vectors", ["auth_hmac"]))
def test_auth_hmac(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    body = decode_bytes(inp["body"])
    md5 = auth.content_md5(body)
    date = auth.http_date(inp["now"])
    assert md5 == exp["content_md5"]
    assert date == exp["date"]
    assert auth.string_to_sign(md5, inp["content_type"], date, inp["path"]) == exp["string_to_sign"]
    headers = auth.signature_headers(inp["token"], body, inp["content_type"], inp["path"], inp["now"])
    assert headers == [("Content-MD5", md5), ("Date", date), ("Authorization", exp["authorization"])]
    assert auth.verify_signature(
        inp["token"], exp["authorization"], md5, inp["content_type"], date, inp["path"]
    )


def _decide(inp: dict[str, Any]) -> retry.Decision:
    """The core's retry decision for a retry_decision-shaped input (attempt_bounds uses it too)."""
    outcome = retry.Outcome(inp.get("status"), inp.get("error"), inp.get("retry_after"))
    return retry.decide(
        _policy(inp.get("policy")),
        inp["attempts"],
        outcome,
        elapsed=inp["elapsed"],
        rand=inp["rand"],
        now=inp["now"],
    )


@pytest.mark.parametrize("case", params("vectors", ["retry_decision"]))
def test_retry_decision(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    got = _decide(inp)
    assert got.action == exp["action"]
    if "delay" in exp:
        assert abs(got.delay - exp["delay"]) < EPS
    assert got.deadline_hit == exp.get("deadline_hit", False)


@pytest.mark.parametrize("case", params("vectors", ["backoff"]))
def test_backoff(case: dict[str, Any]) -> None:
    inp = case["input"]
    got = retry.backoff(_policy(inp.get("policy")), inp["retry"], inp["rand"])
    assert abs(got - case["expect"]["delay"]) < EPS


@pytest.mark.parametrize("case", params("vectors", ["retry_after"]))
def test_retry_after(case: dict[str, Any]) -> None:
    got = retry.parse_retry_after(case["input"]["value"], case["input"]["now"])
    want = case["expect"]["seconds"]
    assert (got is None and want is None) or (got is not None and want is not None and abs(got - want) < EPS)


@pytest.mark.parametrize("case", params("vectors", ["error_mapping"]))
def test_error_mapping(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    body = decode_bytes(inp["body"]) if "body" in inp else b""
    err = errors.error_for_status(
        inp["status"],
        body,
        inp.get("headers", {}),
        endpoint="http://h/api/predict/x",
        service=inp.get("service", "x"),
        attempts=1,
    )
    assert type(err).__name__ == exp["error"]
    assert err.status == inp["status"]
    if "message_prefix" in exp:
        assert err.message.startswith(exp["message_prefix"])
    if "request_id" in exp:
        assert err.request_id == exp["request_id"]
    if "body_length" in exp:
        assert len(err.body) == exp["body_length"]


@pytest.mark.parametrize("case", params("vectors", ["redaction"]))
def test_redaction(case: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    inp, exp = case["input"], case["expect"]
    what = inp["what"]
    if what == "headers":
        shown = redact.redact_headers([tuple(h) for h in inp["headers"]])
        assert [list(h) for h in shown] == exp["headers"]
        return
    if what == "caller_headers":
        theirs = dict(inp["headers"])
        client = eas_client.EASClient("http://127.0.0.1:1/api/predict/x", inp["token"], headers=theirs)
        prepare(client.config, base_headers(client.config), b"", headers=theirs)
        client.close()
        assert theirs == exp["headers_after"]
        return
    if what == "config_error":
        with pytest.raises(eas_client.ConfigError) as info:
            eas_client.EASClient("http://h/api/predict/x", inp["token"])
        text = str(info.value) + repr(info.value)
    elif what == "client_repr":
        base = BaseClient("http://h/api/predict/x", inp["token"])
        text = repr(base) + repr(base.config)
    else:
        from eas_client._core.flow import RawResponse, evaluate

        base = BaseClient("http://h/api/predict/x", inp["token"], max_retries=0)
        req = prepare(base.config, base_headers(base.config), b"x")
        with caplog.at_level(logging.DEBUG, logger="eas_client"):
            step = evaluate(
                base.config,
                req,
                1,
                RawResponse(inp["status"], {}, decode_bytes(inp["body"])),
                elapsed=0,
                rand=0,
                now=0,
            )
        assert isinstance(step.error, eas_client.StatusError)
        text = str(step.error) + repr(step.error) + step.error.body.decode() + caplog.text
    assert exp["absent"] not in text
    if "contains" in exp:
        assert exp["contains"] in text


@pytest.mark.parametrize("case", params("vectors", ["defaults"]))
def test_defaults(case: dict[str, Any]) -> None:
    exp = case["expect"]
    if "max_response_bytes" in exp:  # LIMIT-1's default, a case of its own
        assert config.DEFAULT_MAX_RESPONSE_BYTES == exp["max_response_bytes"]
        return
    if "budget_ratio" in exp:  # §14's defaults, a case of their own
        from .test_backpressure_vectors import check_backpressure_defaults

        check_backpressure_defaults(exp)
        return
    policy = config.RetryPolicy()
    assert config.DEFAULT_TIMEOUT_S == exp["timeout_s"]
    assert config.DEFAULT_CONNECT_TIMEOUT_S == exp["connect_timeout_s"]
    assert policy.max_retries == exp["max_retries"]
    assert policy.backoff_base == exp["backoff_base_s"]
    assert policy.backoff_max == exp["backoff_max_s"]
    assert policy.retry_after_cap == exp["retry_after_cap_s"]
    assert policy.deadline == exp["deadline_s"]
    assert sorted(policy.retry_statuses) == exp["retry_statuses"]
    assert sorted(policy.retry_errors) == exp["retry_errors"]
    assert config.DEFAULT_CONCURRENCY == exp["concurrency"]
    for method in (eas_client.EASClient.predict_many, eas_client.AsyncEASClient.predict_many):
        params = inspect.signature(method).parameters
        assert params["concurrency"].default == exp["concurrency"]
        assert params["return_exceptions"].default is exp["return_exceptions"]
    assert config.DEFAULT_DISCOVERY_REFRESH_S == exp["discovery_refresh_s"]
    assert config.DEFAULT_EJECT_S == exp["eject_for_s"]


@pytest.mark.parametrize("case", params("vectors", ["discovery_parse"]))
def test_discovery_parse(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    body = decode_bytes(inp["body"])
    if "error" in exp:
        with pytest.raises(getattr(eas_client, exp["error"])):
            discovery.parse_upstreams(body, inp["service"])
        return
    got = discovery.parse_upstreams(body, inp["service"])
    assert [[i.host, i.port, i.weight] for i in got] == exp["instances"]


def _instances(rows: list[list[Any]]) -> list[discovery.Instance]:
    return [discovery.Instance(h, p, w) for h, p, w in rows]


@pytest.mark.parametrize("case", params("vectors", ["host_pick"]))
def test_host_pick(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    balancer = discovery.Balancer(inp["eject_for"])
    balancer.update(_instances(inp["instances"]))
    by_key = {i.key: i for i in balancer.instances}
    picks: list[str] = []
    counts: dict[str, int] = {}
    for op in inp["ops"]:
        if "pick" in op:
            exclude = by_key.get(op["pick"].get("exclude") or "")
            picks.append(balancer.pick(op["pick"]["now"], exclude).key)
        elif "picks" in op:
            for _ in range(op["picks"]):
                key = balancer.pick(op["now"]).key
                counts[key] = counts.get(key, 0) + 1
        elif "eject" in op:
            balancer.eject(by_key[op["eject"]], op["now"])
        elif "succeed" in op:
            balancer.succeed(by_key[op["succeed"]])
        else:
            balancer.update(_instances(op["update"]))
            by_key.update({i.key: i for i in balancer.instances})
    if "picks" in exp:
        assert picks == exp["picks"]
    if "counts" in exp:
        assert counts == exp["counts"]


@pytest.mark.parametrize("case", params("vectors", ["error_kinds"]))
def test_error_kinds(case: dict[str, Any]) -> None:
    """The hierarchy table of protocol.md §5: each kind is an instance of its parents only."""
    cls = getattr(eas_client, case["input"]["error"])
    for parent in case["expect"]["is"]:
        assert issubclass(cls, getattr(eas_client, parent)), parent
    for other in case["expect"]["is_not"]:
        assert not issubclass(cls, getattr(eas_client, other)), other
