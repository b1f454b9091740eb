"""Query parameters of the queue API: parsing and validation, each failure a message that names
the parameter and says what is allowed (answered as HTTP 400).

Example::

    >>> parse_duration("1m0s")
    60.0
    >>> parse_duration("250ms")
    0.25
    >>> split_query("_index_=3&_length_=2&color=red", GET_KEYS)
    ({'_index_': '3', '_length_': '2'}, {'color': 'red'})
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

# Keys starting with "_" are the service's own parameters; every other key is a tag.
PUT_KEYS = frozenset({"_priority_"})
GET_KEYS = frozenset({"_index_", "_length_", "_timeout_", "_raw_", "_auto_delete_"})
WATCH_KEYS = frozenset({"_watch_", "_index_", "_window_", "_index_only_", "_auto_commit_"})
ATTRS_KEYS = frozenset({"_attrs_"})
SEARCH_KEYS = frozenset({"_search_", "_index_"})
COUNT_KEYS = frozenset({"_count_", "_priority_"})
INDEXES_KEYS = frozenset({"_indexes_", "_negative_"})
TRUNC_KEYS = frozenset({"_trunc_", "_index_"})
END_KEYS = frozenset({"_eos_", "_force_"})
# A negative acknowledgement's code: CamelCase words with at most one dotted part, or digits.
NEGATIVE_CODE = re.compile(r"^(([A-Z][a-z]*)+(\.[A-Z][a-z]*)?|[0-9]+)$")
MAX_CODE_LENGTH = 20
MAX_LENGTH = 1000
# spec QUEUE-5 (server side): one or more <decimal><unit> with ms, s, m, h, or a bare 0.
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_S = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
MAX_REASON_BYTES = 1024
# Longest get wait, the clients' own limit (spec QUEUE-5).
MAX_TIMEOUT_S = 3600.0


class BadQuery(ValueError):
    """A query the queue API refuses with 400; the message names the parameter."""


def split_query(query: str, allowed: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """``(parameters, tags)``; an ``_``-prefixed key the operation does not take is refused, since
    such keys are reserved and cannot be tags."""
    allowed = frozenset(allowed)
    params: dict[str, str] = {}
    tags: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key.startswith("_"):
            if key not in allowed:
                takes = ", ".join(sorted(allowed)) or "none"
                raise BadQuery(
                    f"query key {key!r} is reserved: keys starting with '_' are queue parameters, "
                    f"not tags (this operation takes {takes})"
                )
            params[key] = value
        elif key:
            tags[key] = value
    return params, tags


def flag(params: dict[str, str], key: str, default: bool) -> bool:
    value = params.get(key)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise BadQuery(f"{key} must be true or false, got {value!r}")


def integer(params: dict[str, str], key: str, default: int, minimum: int, maximum: int | None = None) -> int:
    value = params.get(key)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadQuery(f"{key} must be a whole number, got {value!r}") from None
    if number < minimum or (maximum is not None and number > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise BadQuery(f"{key} must be at least {minimum}{upper}, got {number}")
    return number


def positive_index(text: str, key: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise BadQuery(f"{key}: {text!r} is not an index (a whole number from 1)") from None
    if number <= 0:
        raise BadQuery(f"{key}: index {number} is not positive (indexes start at 1)")
    return number


def indexes(params: dict[str, str]) -> list[int]:
    """``_indexes_=1,2,3`` → [1, 2, 3]."""
    raw = params.get("_indexes_", "")
    if not raw.strip():
        raise BadQuery("_indexes_ is required: a comma-separated list of indexes, e.g. _indexes_=1,2,3")
    return [positive_index(part.strip(), "_indexes_") for part in raw.split(",")]


def negative_code(code: str) -> str:
    if not code:
        raise BadQuery("_code_ is required in the form body of a negative acknowledgement")
    if len(code) > MAX_CODE_LENGTH or not NEGATIVE_CODE.fullmatch(code):
        raise BadQuery(
            f"_code_ {code[:40]!r} is not allowed: use CamelCase words with at most one dotted part "
            f"(e.g. Timeout, Model.Failed) or digits, at most {MAX_CODE_LENGTH} characters"
        )
    return code


def negative_reason(reason: str) -> str:
    if len(reason.encode("utf-8")) > MAX_REASON_BYTES:
        raise BadQuery(f"_reason_ is over {MAX_REASON_BYTES} bytes as UTF-8; shorten it")
    return reason


def parse_duration(text: str) -> float:
    """``_timeout_`` (spec QUEUE-5): ``5s``, ``250ms``, ``1m0s``, ``1.5s``, ``1h2m`` or a bare ``0``;
    waits above an hour are cut to one."""
    if text == "0":
        return 0.0
    if not _DURATION.fullmatch(text):
        raise BadQuery(
            f"_timeout_ {text[:40]!r} is not a duration: write <number><unit> with the units ms, s, m, h "
            "(e.g. 5s, 250ms, 1m0s), or 0"
        )
    seconds = sum(float(n) * _UNIT_S[unit] for n, unit in _DURATION_PART.findall(text))
    return min(seconds, MAX_TIMEOUT_S)
