"""Runs the section 12 vector files: header_checks, redaction_order and attempt_bounds."""

from __future__ import annotations

from typing import Any

import pytest

import eas_client
from eas_client._base_client import BaseClient
from eas_client._core import endpoint
from eas_client._core.flow import RawResponse, base_headers, evaluate, prepare

from .corpus import decode_bytes, decode_data, params
from .test_vectors import _decide, _make_config


@pytest.mark.parametrize("case", params("vectors", ["header_checks"]))
def test_header_checks(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]

    def build() -> Any:
        if "endpoint" in inp:
            return endpoint.build_url(endpoint.parse_endpoint(inp["endpoint"], inp.get("service_name")))
        cfg = _make_config(inp)
        req = prepare(cfg, base_headers(cfg), decode_data(inp["data"]), headers=inp.get("headers"))
        return {k.lower(): v for k, v in req.headers.items()}

    if "error" in exp:
        with pytest.raises(getattr(eas_client, exp["error"])) as info:
            build()
        for value in [*inp.get("headers", {}).values(), *inp.get("client_headers", {}).values()]:
            if len(value) > 3:
                assert value not in str(info.value), "a rejected header value is not echoed"
        return
    got = build()
    if "url" in exp:
        assert got == exp["url"]
    for name, value in exp.get("headers", {}).items():
        assert got.get(name) == value, name


@pytest.mark.parametrize("case", params("vectors", ["redaction_order"]))
def test_redaction_order(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    if inp.get("what") == "client_vars":
        client = BaseClient("http://h/api/predict/x", inp["token"], auth=inp["auth"], headers={"X-A": "1"})
        shown = repr(vars(client)) + repr(client._options) + repr(vars(client.config))
        shown += repr(client) + str(vars(client))
        assert all(secret not in shown for secret in exp["absent"])
        return
    client = BaseClient("http://h/api/predict/x", inp["token"], max_retries=0)
    req = prepare(client.config, base_headers(client.config), b"x")
    raw = RawResponse(inp["status"], inp.get("headers", {}), decode_bytes(inp["body"]))
    step = evaluate(client.config, req, 1, raw, elapsed=0, rand=0, now=0)
    err = step.error
    assert isinstance(err, eas_client.StatusError)
    surfaces = [str(err), repr(err), err.body.decode(), repr(err.headers), str(err.request_id)]
    for secret in exp["absent"]:
        for text in surfaces:
            assert secret not in text
    if "message_contains" in exp:
        assert exp["message_contains"] in str(err)
    if "body" in exp:
        assert err.body == decode_bytes(exp["body"])
    if "headers" in exp:
        assert {k.lower(): v for k, v in err.headers.items()} == exp["headers"]
    if "request_id" in exp:
        assert err.request_id == exp["request_id"]


@pytest.mark.parametrize("case", params("vectors", ["attempt_bounds"]))
def test_attempt_bounds(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    if "max_response_bytes" in inp:

        def build() -> BaseClient:
            return BaseClient("http://h/api/predict/x", max_response_bytes=inp["max_response_bytes"])

        if "error" in exp:
            with pytest.raises(getattr(eas_client, exp["error"])):
                build()
        else:
            assert build().config.max_response_bytes == exp["max_response_bytes"]
        return
    got = _decide(inp)
    assert got.action == exp["action"]
    assert got.deadline_hit == exp.get("deadline_hit", False)
