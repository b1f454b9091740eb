"""The incremental line and event readers (spec/protocol.md STREAM-7/8/9): paths the vectors do
not reach (errors kept and raised again, limits inside one large chunk), and a bounded fuzz: any
body, split anywhere, gives the same items and errors as the body in one chunk."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eas_client import StreamProtocolError
from eas_client._core import sse
from eas_client._core.errors import StreamError

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


def _read(chunks: list[bytes]) -> tuple[list[sse.ServerSentEvent], str | None, list[str], str | None]:
    parser, decoder = sse.EventParser(), sse.LineDecoder()
    events: list[sse.ServerSentEvent] = []
    lines: list[str] = []
    event_error = line_error = None
    try:
        for chunk in chunks:
            events += parser.feed(chunk)
            if parser.failed is not None:
                raise parser.failed
        parser.end()
    except StreamError as exc:
        event_error = type(exc).__name__
    try:
        for chunk in chunks:
            lines += decoder.feed(chunk)
            if decoder.failed is not None:
                raise decoder.failed
        last = decoder.end()
        lines += [] if last is None else [last]
    except StreamError as exc:
        line_error = type(exc).__name__
    return events, event_error, lines, line_error


_PIECES = st.sampled_from(
    [
        b"data",
        b"data:",
        b": ",
        b"event: e",
        b"id: 1",
        b"retry: 5",
        b"\n",
        b"\r",
        b"\r\n",
        b"x",
        b"\xef\xbb\xbf",
    ]
    + [b"\xc3\xa9", b"\xff", b":", b" "]
)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(_PIECES, max_size=40), st.lists(st.integers(min_value=0, max_value=200), max_size=6))
def test_any_split_of_any_body_reads_the_same(pieces: list[bytes], cuts: list[int]) -> None:
    body = b"".join(pieces)
    marks = sorted({min(c, len(body)) for c in cuts})
    chunks = [body[a:b] for a, b in zip([0, *marks], [*marks, len(body)], strict=True)]
    assert _read(chunks) == _read([body])
