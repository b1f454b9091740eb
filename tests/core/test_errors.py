"""_core/errors: the error tree, the status table and how an error describes itself (ERR-*). The
status table for every language is pinned in spec/vectors/error_mapping.json (tests/spec)."""

from __future__ import annotations

import pytest

from eas_client._core import errors


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, errors.AuthenticationError),
        (450, errors.QueueFullError),
        (507, errors.ServerError),
        (418, errors.StatusError),
    ],
)
def test_a_status_gets_its_class_or_the_nearest_family(status: int, cls: type[errors.StatusError]) -> None:
    assert errors.error_class_for_status(status) is cls


def test_transport_errors_carry_the_kind_retry_rules_name() -> None:
    kinds = {c.cause_kind for c in (errors.ConnectError, errors.ReadError, errors.ReadTimeoutError)}
    assert kinds == {"connect", "reset", "timeout"}
    assert errors.ResponseTooLargeError.cause_kind == "too_large"
    assert errors.ReadTimeoutError("x").kind == "ReadTimeoutError"


def test_config_and_payload_errors_are_value_errors() -> None:
    assert issubclass(errors.ConfigError, ValueError) and issubclass(errors.PayloadError, ValueError)


def test_str_names_the_endpoint_and_attempts_only_when_there_were_retries() -> None:
    assert (
        str(errors.ConnectError("refused", endpoint="http://h/x", attempts=1))
        == "refused [endpoint=http://h/x]"
    )
    assert str(errors.ConnectError("refused", attempts=3)) == "refused after 3 attempts"


def test_request_id_comes_from_the_first_known_header_in_any_case() -> None:
    assert errors.request_id_of({"X-EAS-Request-Id": "b", "x-request-id": "a"}) == "a"
    assert errors.request_id_of({"X-Eas-QueueService-Request-Id": "q"}) == "q"
    assert errors.request_id_of({"x-trace": "t"}) is None


def test_error_for_status_builds_a_message_with_excerpt_and_hint() -> None:
    body = b"quota exceeded " + b"z" * 1000
    err = errors.error_for_status(
        429, body, {"x-request-id": "r1"}, endpoint="http://h/api/predict/demo", service="demo", attempts=2
    )
    assert isinstance(err, errors.RateLimitError)
    assert err.message.startswith("HTTP 429 from service demo: quota exceeded ")
    assert err.message.endswith("; " + errors.RateLimitError.hint.format(service="demo"))
    assert len(err.body) == errors.BODY_EXCERPT_BYTES and err.request_id == "r1" and err.attempts == 2


def test_error_for_status_redacts_before_it_cuts() -> None:
    token = "tok-abcdefghijklmnopqrstuvwxyz"
    body = b"a" * 190 + token.encode()  # the 200-byte excerpt would cut the token in two
    err = errors.error_for_status(
        500, body, {"x-request-id": token}, endpoint=None, service="demo", attempts=1, token=token
    )
    assert token[:10] not in err.message and token[:10].encode() not in err.body
    assert err.request_id == "***"


def test_an_empty_body_and_no_service_still_say_what_answered() -> None:
    err = errors.error_for_status(404, b"", {}, endpoint="http://h/custom", service=None, attempts=1)
    assert "HTTP 404 from service http://h/custom: (empty body)" in err.message


def test_too_large_names_the_cap_and_the_fix() -> None:
    declared = errors.too_large("http://h/x", 100, 5000)
    assert declared.limit == 100 and "declares 5000 bytes" in declared.message
    assert "max_response_bytes=100" in str(errors.too_large("http://h/x", 100)) and "is longer" in str(
        errors.too_large("http://h/x", 100)
    )
