"""_core.queue: request building and parsing for the queue service (QUEUE-*); the cases are in
spec/vectors/queue_*.json, this fuzzes the ``_timeout_`` parser."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from eas_client._core import queue

FUZZ = settings(max_examples=400, deadline=None, database=None)


@FUZZ
@given(st.text(max_size=12))
def test_queue_wait_parser_returns_seconds_or_value_error(text: str) -> None:
    try:
        assert queue.parse_wait(text) >= 0
    except ValueError:
        pass
