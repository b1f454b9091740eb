"""A stream's pure decisions (spec/protocol.md §13): the kept tail of delivered events, header
lookup, the read budget and the Accept header."""

from __future__ import annotations

from eas_client._core import sse, stream


def test_kept_events_count_utf8_bytes_and_give_one_back() -> None:
    keeper = stream.KeptEvents(limit=10)
    for data in ("ééé", "ab", "ü"):  # 6 + 2 + 2 bytes: all kept at exactly the limit
        keeper.add(sse.ServerSentEvent(data=data))
    assert [e.data for e in keeper.kept()] == ["ééé", "ab", "ü"]
    keeper.take_back()
    assert ([e.data for e in keeper.kept()], keeper.delivered) == (["ééé", "ab"], 2)
    keeper.add(sse.ServerSentEvent(data="xyz"))  # 6 + 2 + 3 > 10: the oldest goes
    assert [e.data for e in keeper.kept()] == ["ab", "xyz"]


def test_the_read_budget_is_timeout_until_the_deadline_is_nearer() -> None:
    assert stream.read_budget(5.0, None, 100.0) == stream.Budget(5.0, False)
    assert stream.read_budget(5.0, 10.0, 2.0) == stream.Budget(5.0, False)
    assert stream.read_budget(5.0, 10.0, 7.5) == stream.Budget(2.5, True)
    assert stream.read_budget(5.0, 10.0, 11.0).seconds < 0


def test_accept_is_added_unless_the_caller_chose_one() -> None:
    headers = {"Content-Type": "application/json"}
    stream.with_accept(headers)
    assert headers["Accept"] == "text/event-stream"
    mine = {"accept": "application/x-ndjson"}
    stream.with_accept(mine)
    assert mine == {"accept": "application/x-ndjson"}
