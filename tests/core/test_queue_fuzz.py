"""Bounded fuzzing of the queue parsers (frames, _timeout_): any input gives a value or a typed
error, never another exception or a hang. (Moved here from the former tests/fuzz, as the other
parsers' fuzz tests sit beside their modules.)"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=400, deadline=None, database=None)


@FUZZ
@given(st.binary(max_size=80))
def test_queue_frame_decoders_return_frames_or_a_payload_error(body: bytes) -> None:
    from eas_client import PayloadError
    from eas_client._core import dataframe

    for decode in (dataframe.decode_dataframe_list, dataframe.decode_dataframe, dataframe.decode_attributes):
        try:
            decode(body)
        except PayloadError:
            pass


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=2**64 - 1),
            st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
            st.binary(max_size=10),
            st.text(max_size=5),
        ),
        max_size=4,
    )
)
def test_queue_frames_survive_a_round_trip(rows: list[tuple[int, dict[str, str], bytes, str]]) -> None:
    from eas_client._core import dataframe

    frames = [dataframe.DataFrame(*row) for row in rows]
    assert dataframe.decode_dataframe_list(dataframe.encode_dataframe_list(frames)) == frames


@FUZZ
@given(st.text(max_size=12))
def test_queue_wait_parser_returns_seconds_or_value_error(text: str) -> None:
    from eas_client._core import queue

    try:
        assert queue.parse_wait(text) >= 0
    except ValueError:
        pass
