"""Retry decisions as pure functions (spec/protocol.md RETRY-*).

Rule 1: a 2xx response is returned; any other outcome is retried only if its status is in
``retry_statuses`` or its transport error kind is in ``retry_errors``.
Rule 2: at most ``max_retries`` retries follow the first attempt.
Rule 3: the wait before retry *n* (1-based) is ``rand * min(backoff_max, backoff_base * 2**(n-1))``
("full jitter", ``rand`` drawn uniformly from [0, 1) by the caller) unless the response carried a
valid ``Retry-After``, which is honoured exactly, capped at ``retry_after_cap``.
Rule 4: with a ``deadline``, a retry whose wait would end at or after the deadline is not made.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from .config import RetryPolicy

Action = Literal["return", "retry", "raise"]


@dataclass(frozen=True)
class Outcome:
    """What one attempt produced: a status, or a transport error kind (connect, reset, timeout)."""

    status: int | None = None
    error_kind: str | None = None
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status <= 299


@dataclass(frozen=True)
class Decision:
    """What to do after an attempt, with the reason logged at DEBUG."""

    action: Action
    delay: float
    reason: str
    deadline_hit: bool = False


def is_retryable(policy: RetryPolicy, outcome: Outcome) -> bool:
    if outcome.status is not None:
        return outcome.status in policy.retry_statuses
    return outcome.error_kind in policy.retry_errors


def backoff(policy: RetryPolicy, retry_number: int, rand: float) -> float:
    """Full-jitter exponential backoff for the ``retry_number``-th retry (1-based)."""
    exponent = min(retry_number - 1, 62)  # 2**62 s is past any cap; avoids float overflow
    return rand * min(policy.backoff_max, policy.backoff_base * (2.0**exponent))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds or an HTTP-date (``now`` is Unix
    time). Anything else, including negative numbers, is ignored (``None``)."""
    if value is None:
        return None
    text = value.strip(" \t")
    if not text:
        return None
    if _DELAY_SECONDS.fullmatch(text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    if text[0] in "0123456789+-.":  # a number in some other form (1e3, 1_000, +5, .5): ignored
        return None
    when = parse_http_date(text)
    return None if when is None else max(0.0, when - now)


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# RETRY-5: ASCII digits with an optional decimal fraction; no sign, exponent, separators or
# non-ASCII digits (which float() and \d would accept).
_DELAY_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
# The three HTTP-date forms of RFC 9110 §5.6.7; all are GMT by definition.
_IMF_FIXDATE = re.compile(
    r"^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$", re.ASCII
)
_RFC850 = re.compile(r"^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$", re.ASCII)
_ASCTIME = re.compile(r"^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$", re.ASCII)


def parse_http_date(text: str) -> float | None:
    """Unix time of an HTTP-date (IMF-fixdate, RFC 850 or asctime form), else ``None``."""
    if m := _IMF_FIXDATE.match(text):
        day, mon, year, hh, mm, ss = m.groups()
    elif m := _RFC850.match(text):
        day, mon, yy, hh, mm, ss = m.groups()
        year = str(2000 + int(yy) if int(yy) < 70 else 1900 + int(yy))
    elif m := _ASCTIME.match(text):
        mon, day, hh, mm, ss, year = m.groups()
    else:
        return None
    month = _MONTHS.get(mon.lower())
    if month is None:
        return None
    try:
        when = datetime(int(year), month, int(day), int(hh), int(mm), int(ss), tzinfo=timezone.utc)
    except ValueError:
        return None
    return when.timestamp()


def retry_delay(
    policy: RetryPolicy, retry_number: int, rand: float, retry_after: str | None, now: float
) -> float:
    """Seconds to wait before the ``retry_number``-th retry (Rule 3)."""
    asked = parse_retry_after(retry_after, now)
    if asked is not None:
        return min(asked, policy.retry_after_cap)
    return backoff(policy, retry_number, rand)


# An engine's timer may fire a hair before the clock we measure with says the budget is spent;
# within this slack a timeout still counts as the deadline's (TIMEOUT-2).
TIMER_SLACK_S = 0.001


def decide(
    policy: RetryPolicy,
    attempts: int,
    outcome: Outcome,
    *,
    elapsed: float,
    rand: float,
    now: float,
) -> Decision:
    """The decision after ``attempts`` attempts (1 after the first), ``elapsed`` seconds into the call."""
    what = f"status {outcome.status}" if outcome.status is not None else outcome.error_kind
    if outcome.ok:
        return Decision("return", 0.0, f"{what}: success")
    if (
        outcome.error_kind == "timeout"
        and policy.deadline is not None
        and elapsed >= policy.deadline - TIMER_SLACK_S
    ):  # TIMEOUT-2: the deadline, not the timeout, stopped this attempt
        return Decision("raise", 0.0, f"{what}: deadline {policy.deadline}s ran out", deadline_hit=True)
    if not is_retryable(policy, outcome):
        return Decision("raise", 0.0, f"{what} is not retried")
    if attempts > policy.max_retries:
        return Decision("raise", 0.0, f"{what}: retries exhausted ({policy.max_retries})")
    delay = retry_delay(policy, attempts, rand, outcome.retry_after, now)
    if policy.deadline is not None and elapsed + delay >= policy.deadline:
        reason = f"{what}: deadline {policy.deadline}s leaves no time to retry"
        return Decision("raise", 0.0, reason, deadline_hit=True)
    return Decision("retry", delay, f"{what}: retry {attempts} in {delay:.3f}s")


def attempt_timeout(policy: RetryPolicy, timeout: float, elapsed: float) -> float:
    """The read timeout for the next attempt: ``timeout``, shortened to what the deadline leaves."""
    if policy.deadline is None:
        return timeout
    return max(0.001, min(timeout, policy.deadline - elapsed))


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works on plain dicts as well as engine header types."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, val in headers.items():
        if key.lower() == lowered:
            return val
    return None
