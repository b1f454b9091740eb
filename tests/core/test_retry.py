"""_core/retry: the decision after each attempt, backoff and Retry-After (RETRY-*). The decision
table for every language is pinned in spec/vectors/retry_decision.json, backoff.json and
retry_after.json (tests/spec); here are the parts a newcomer changes first, and a bounded fuzz of
the Retry-After parser (any input gives seconds or None)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from eas_client._core import retry
from eas_client._core.config import RetryPolicy

FUZZ = settings(max_examples=400, deadline=None, database=None)
NOW = 1_767_225_600.0  # Thu, 01 Jan 2026 00:00:00 GMT


@FUZZ
@given(st.text(max_size=60), st.floats(min_value=0, max_value=4e9))
def test_retry_after_parser_returns_seconds_or_none(value: str, now: float) -> None:
    got = retry.parse_retry_after(value, now)
    assert got is None or (got >= 0 and got == got)


def test_backoff_doubles_up_to_the_cap_scaled_by_jitter() -> None:
    policy = RetryPolicy(backoff_base=0.1, backoff_max=1.0)
    assert [retry.backoff(policy, n, 1.0) for n in (1, 2, 3, 4, 5)] == [0.1, 0.2, 0.4, 0.8, 1.0]
    assert retry.backoff(policy, 2, 0.5) == 0.1
    assert retry.backoff(policy, 10_000, 1.0) == 1.0  # no float overflow far out


def test_retry_after_in_seconds_or_as_any_http_date() -> None:
    assert retry.parse_retry_after(" 2.5 ", NOW) == 2.5
    for date in (
        "Thu, 01 Jan 2026 00:00:10 GMT",
        "Thursday, 01-Jan-26 00:00:10 GMT",
        "Thu Jan  1 00:00:10 2026",
    ):
        assert retry.parse_retry_after(date, NOW) == 10.0, date
    assert retry.parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", NOW) == 0.0  # past: now
    for junk in (None, "", "-1", "1e3", "+5", "soon", "Thu, 32 Jan 2026 00:00:00 GMT"):
        assert retry.parse_retry_after(junk, NOW) is None, junk


def test_retry_delay_prefers_retry_after_up_to_its_cap() -> None:
    policy = RetryPolicy(retry_after_cap=5.0)
    assert retry.retry_delay(policy, 1, 1.0, "2", NOW) == 2.0
    assert retry.retry_delay(policy, 1, 1.0, "600", NOW) == 5.0
    assert retry.retry_delay(policy, 1, 1.0, None, NOW) == retry.backoff(policy, 1, 1.0)


def _decide(
    policy: RetryPolicy, attempts: int, outcome: retry.Outcome, elapsed: float = 0.0
) -> retry.Decision:
    return retry.decide(policy, attempts, outcome, elapsed=elapsed, rand=1.0, now=NOW)


def test_decide_returns_retries_then_raises() -> None:
    policy = RetryPolicy(max_retries=1)
    assert _decide(policy, 1, retry.Outcome(204)).action == "return"
    assert _decide(policy, 1, retry.Outcome(503)).action == "retry"
    assert _decide(policy, 2, retry.Outcome(503)).reason == "status 503: retries exhausted (1)"
    assert _decide(policy, 1, retry.Outcome(400)).reason == "status 400 is not retried"
    assert _decide(policy, 1, retry.Outcome(error_kind="connect")).action == "retry"
    assert _decide(policy, 1, retry.Outcome(error_kind="timeout")).action == "raise"


def test_decide_blames_the_deadline_when_it_is_what_stopped_the_call() -> None:
    policy = RetryPolicy(deadline=1.0, max_retries=5)
    timed_out = _decide(policy, 1, retry.Outcome(error_kind="timeout"), elapsed=1.0)
    assert timed_out.action == "raise" and timed_out.deadline_hit
    no_room = _decide(policy, 1, retry.Outcome(503, retry_after="3"), elapsed=0.5)
    assert no_room.deadline_hit and "leaves no time" in no_room.reason


def test_attempt_timeout_is_shortened_to_what_the_deadline_leaves() -> None:
    assert retry.attempt_timeout(RetryPolicy(), 2.0, 100.0) == 2.0
    assert retry.attempt_timeout(RetryPolicy(deadline=3.0), 2.0, 2.5) == 0.5
    assert retry.attempt_timeout(RetryPolicy(deadline=3.0), 2.0, 9.0) == 0.001


def test_header_value_ignores_letter_case() -> None:
    assert retry.header_value({"Retry-After": "1"}, "retry-after") == "1"
    assert retry.header_value({"retry-after": "2"}, "Retry-After") == "2"
    assert retry.header_value({"Content-TYPE": "text/event-stream"}, "content-type") == "text/event-stream"
    assert retry.header_value({}, "content-type") is None
    assert retry.header_value({}, "Retry-After") is None
