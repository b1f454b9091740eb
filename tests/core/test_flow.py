"""_core/flow: the pure steps of one call: the client's headers, the prepared request, each
attempt's headers and the evaluation of its result. BaseClient._flow strings them together
(tests/client/test_call_loop.py drives that loop by hand)."""

from __future__ import annotations

from typing import Any

import pytest

from eas_client import ConfigError, DeadlineExceededError, ReadTimeoutError, ServiceUnavailableError
from eas_client._core import auth, flow
from eas_client._core.config import ClientConfig, RetryPolicy, build_config
from eas_client._core.errors import ConnectError

TOKEN = "flow-test-token-123456"
NOW = 1_767_225_600.0


def _config(**kwargs: Any) -> ClientConfig:
    options: dict[str, Any] = {
        "service_name": None,
        "auth": "token",
        "timeout": 10.0,
        "connect_timeout": 2.0,
        "retry": RetryPolicy(max_retries=1),
        "headers": None,
        "user_agent": "ua/1",
        "env": {},
    }
    options.update(kwargs)
    return build_config("http://h:8080/api/predict/demo?v=1", TOKEN, **options)


def test_base_headers_hold_the_user_agent_token_and_client_headers() -> None:
    headers = flow.base_headers(_config(headers={"X-Team": "a", "user-agent": "mine"}))
    assert headers == {"Authorization": TOKEN, "X-Team": "a", "user-agent": "mine"}
    assert TOKEN not in repr(headers)
    assert "Authorization" not in flow.base_headers(_config(auth="signature"))


def test_a_caller_header_cannot_replace_the_credential() -> None:
    with pytest.raises(ConfigError, match="set by the client from token"):
        flow.base_headers(_config(headers={"authorization": "other"}))


def test_prepare_encodes_the_body_and_builds_the_target() -> None:
    config = _config()
    req = flow.prepare(config, flow.base_headers(config), {"a": 1}, path="v2", params={"k": "x"}, timeout=3.0)
    assert (req.origin, req.target, req.sign_path) == (
        "http://h:8080",
        "/api/predict/demo/v2?v=1&k=x",
        "/api/predict/demo/v2",
    )
    assert req.body == b'{"a":1}' and req.headers["Content-Type"] == "application/json"
    assert (req.timeout, req.connect_timeout, req.policy) == (3.0, 2.0, config.retry)


def test_a_signed_attempt_is_signed_again_with_its_own_date() -> None:
    config = _config(auth="signature")
    req = flow.prepare(config, flow.base_headers(config), b"x")
    first, later = flow.attempt_headers(config, req, NOW), flow.attempt_headers(config, req, NOW + 60)
    assert first["Date"] == auth.http_date(NOW) and later["Date"] == auth.http_date(NOW + 60)
    assert first["Authorization"] != later["Authorization"] and "Date" not in req.headers
    raw = _config()
    plain = flow.prepare(raw, flow.base_headers(raw), b"x")
    assert flow.attempt_headers(raw, plain, NOW) is plain.headers


def _evaluate(config: ClientConfig, result: Any, attempts: int = 1, elapsed: float = 0.0) -> flow.Step:
    req = flow.prepare(config, flow.base_headers(config), b"x")
    return flow.evaluate(config, req, attempts, result, elapsed=elapsed, rand=1.0, now=NOW)


def test_evaluate_returns_a_success_as_is() -> None:
    ok = flow.RawResponse(200, {}, b"fine")
    step = _evaluate(_config(), ok)
    assert step.decision.action == "return" and step.response is ok and step.error is None


def test_evaluate_retries_then_raises_the_typed_error_with_the_attempts() -> None:
    busy = flow.RawResponse(503, {"Retry-After": "0.5"}, b"busy")
    assert _evaluate(_config(), busy).decision.delay == 0.5
    step = _evaluate(_config(), busy, attempts=2)
    assert isinstance(step.error, ServiceUnavailableError) and step.error.attempts == 2


def test_evaluate_gives_a_transport_error_its_endpoint_and_masks_the_token() -> None:
    step = _evaluate(_config(), ConnectError(f"refused, sent {TOKEN}"), attempts=2)
    assert step.error is not None and step.error.endpoint == "http://h:8080/api/predict/demo"
    assert TOKEN not in str(step.error) and step.error.attempts == 2


def test_a_timeout_at_the_deadline_is_a_deadline_error_holding_the_timeout() -> None:
    config = _config(retry=RetryPolicy(deadline=1.0))
    step = _evaluate(config, ReadTimeoutError("slow"), elapsed=1.0)
    assert isinstance(step.error, DeadlineExceededError)
    assert isinstance(step.error.last_error, ReadTimeoutError)


def test_next_timeout_is_what_the_deadline_leaves() -> None:
    config = _config(retry=RetryPolicy(deadline=4.0))
    req = flow.prepare(config, flow.base_headers(config), b"x")
    assert flow.next_timeout(req, 0.0) == 4.0 and flow.next_timeout(req, 1.0) == 3.0


def test_a_wire_request_repr_shows_no_header() -> None:
    wire = flow.WireRequest("POST", "http://h", "/p", {"Authorization": TOKEN}, b"xy", 1.0, 1.0)
    assert repr(wire) == "WireRequest(POST http://h/p, 2 bytes, timeout=1.0)" and wire.url == "http://h/p"
