"""Edge paths of the sans-IO stream readers that the spec vectors do not reach: errors kept and
raised again, limits inside one large chunk, the kept-events tail with non-ASCII data."""

from __future__ import annotations

import pytest

from eas_client import ConfigError, StreamEventError, StreamProtocolError
from eas_client._core import chat, sse, stream

LIMIT = sse.MAX_LINE_BYTES


def test_an_event_parses_its_data_as_json() -> None:
    assert sse.ServerSentEvent(data='{"a": [1]}').json() == {"a": [1]}


def test_a_failed_decoder_raises_the_same_error_again() -> None:
    decoder = sse.LineDecoder()
    assert decoder.feed(b"ok\n\xff\n") == ["ok"]
    assert isinstance(decoder.failed, StreamProtocolError)
    for again in (lambda: decoder.feed(b"more\n"), decoder.end):
        with pytest.raises(StreamProtocolError) as info:
            again()
        assert info.value is decoder.failed


def test_a_failed_parser_raises_the_same_error_again() -> None:
    parser = sse.EventParser()
    assert parser.feed(b"data: a\n\n\xff\n") == [sse.ServerSentEvent(data="a")]
    for again in (lambda: parser.feed(b"data: b\n\n"), parser.end):
        with pytest.raises(StreamProtocolError):
            again()


def test_an_unterminated_last_line_must_be_utf8() -> None:
    decoder = sse.LineDecoder()
    decoder.feed(b"ok\n\xc3")
    with pytest.raises(StreamProtocolError, match="UTF-8"):
        decoder.end()


def test_a_long_line_inside_one_large_chunk_stops_after_the_lines_before_it() -> None:
    decoder = sse.LineDecoder()
    assert decoder.feed(b"first\n" + b"a" * (LIMIT + 1) + b"\nlast\n") == ["first"]
    assert isinstance(decoder.failed, StreamProtocolError)


def test_a_long_line_next_to_invalid_utf8_is_reported_in_order() -> None:
    decoder = sse.LineDecoder()
    assert decoder.feed(b"first\n" + b"a" * (LIMIT + 1) + b"\n\xff\n") == ["first"]
    assert decoder.failed is not None and "longer than" in decoder.failed.message


def test_event_data_over_the_limit_found_in_the_last_unterminated_line() -> None:
    parser = sse.EventParser()
    half = b"a" * (LIMIT // 2 + 10)
    assert parser.feed(b"data: " + half + b"\n" + b"data: " + half) == []
    with pytest.raises(StreamProtocolError, match="event's data"):
        parser.end()


def test_kept_events_count_utf8_bytes_and_give_one_back() -> None:
    keeper = stream.KeptEvents(limit=10)
    for data in ("ééé", "ab", "ü"):  # 6 + 2 + 2 bytes: all kept at exactly the limit
        keeper.add(sse.ServerSentEvent(data=data))
    assert [e.data for e in keeper.kept()] == ["ééé", "ab", "ü"]
    keeper.take_back()
    assert ([e.data for e in keeper.kept()], keeper.delivered) == (["ééé", "ab"], 2)
    keeper.add(sse.ServerSentEvent(data="xyz"))  # 6 + 2 + 3 > 10: the oldest goes
    assert [e.data for e in keeper.kept()] == ["ab", "xyz"]


def test_response_headers_are_found_in_any_letter_case() -> None:
    assert stream.header_of({"Content-TYPE": "text/event-stream"}, "content-type") == "text/event-stream"
    assert stream.header_of({}, "content-type") is None


def test_chat_params_must_be_json() -> None:
    with pytest.raises(ConfigError, match="not JSON"):
        chat.chat_request([{"role": "user"}], None, True, {"temperature": float("nan")})


def test_an_error_event_holding_an_error_member_raises_for_that_member() -> None:
    reader = chat.ChatReader()
    with pytest.raises(StreamEventError) as info:
        reader.take(sse.ServerSentEvent("error", '{"error": {"message": "quota"}, "id": 1}'))
    assert info.value.error == {"message": "quota"} and "quota" in str(info.value)
