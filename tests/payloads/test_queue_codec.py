"""The runtime's DataFrame codec against classes generated from spec/proto/queueservice.proto:
identical bytes (deterministic serialization: map entries sorted by key) and identical parses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eas_client._core.errors import PayloadError
from eas_client.server.queue.codec import (
    Frame,
    decode_attributes,
    decode_frame,
    decode_list,
    encode_attributes,
    encode_frame,
    encode_list,
)
from tests.payloads._pb import queueservice_pb2 as pb

texts = st.text(max_size=12)
frames = st.builds(
    Frame,
    index=st.integers(0, (1 << 64) - 1),
    tags=st.dictionaries(texts, texts, max_size=4),
    data=st.binary(max_size=64),
    message=texts,
)


def _prefix_free(keys: list[str]) -> bool:
    """protobuf's deterministic map order (upb) puts a key after keys it is a prefix of ("ab"
    before "a"); ours is plain sorted order. They agree whenever no key is a prefix of another."""
    return not any(a != b and b.startswith(a) for a in keys for b in keys)


def _oracle(frame: Frame) -> object:
    return pb.DataFrameProto(index=frame.index, tags=frame.tags, data=frame.data, message=frame.message)


def test_wire_contract_field_numbers() -> None:
    fields = {f.name: f.number for f in pb.DataFrameProto.DESCRIPTOR.fields}
    assert fields == {"index": 1, "tags": 2, "data": 3, "message": 4}
    assert [f.name for f in pb.DataFrameListProto.DESCRIPTOR.fields] == ["index"]


def test_known_frame_bytes() -> None:
    frame = Frame(index=3, tags={"requestId": "r"}, data=b"hi", message="m")
    expected = b"\x08\x03" + b"\x12\x0e\x0a\x09requestId\x12\x01r" + b"\x1a\x02hi" + b"\x22\x01m"
    assert encode_frame(frame) == expected
    assert _oracle(frame).SerializeToString(deterministic=True) == expected  # type: ignore[attr-defined]
    assert encode_frame(Frame(index=0)) == b""
    assert encode_list([]) == b""


@settings(max_examples=200, deadline=None)
@given(frames)
def test_frame_bytes_match_protobuf(frame: Frame) -> None:
    ours = encode_frame(frame)
    parsed = pb.DataFrameProto.FromString(ours)
    assert parsed == _oracle(frame)
    if _prefix_free(list(frame.tags)):
        assert ours == _oracle(frame).SerializeToString(deterministic=True)  # type: ignore[attr-defined]
    assert decode_frame(parsed.SerializeToString()) == frame


@settings(max_examples=100, deadline=None)
@given(st.lists(frames, max_size=4))
def test_list_bytes_match_protobuf(items: list[Frame]) -> None:
    oracle = pb.DataFrameListProto(index=[_oracle(f) for f in items])
    assert pb.DataFrameListProto.FromString(encode_list(items)) == oracle
    if all(_prefix_free(list(f.tags)) for f in items):
        assert encode_list(items) == oracle.SerializeToString(deterministic=True)
    assert decode_list(oracle.SerializeToString()) == items


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(texts, texts, max_size=6))
def test_attributes_match_protobuf(attrs: dict[str, str]) -> None:
    oracle = pb.AttributesProto(attributes=attrs)
    assert pb.AttributesProto.FromString(encode_attributes(attrs)) == oracle
    if _prefix_free(list(attrs)):
        assert encode_attributes(attrs) == oracle.SerializeToString(deterministic=True)
    assert decode_attributes(oracle.SerializeToString()) == attrs


def test_unknown_fields_are_skipped() -> None:
    body = encode_frame(Frame(index=7, data=b"x")) + b"\x28\x05"  # field 5, varint
    assert decode_frame(body) == Frame(index=7, data=b"x")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"\x1a\x05ab", "truncated"),
        (b"\x0a\x01x", "wire type"),
        (b"\x22\x01\xff", "UTF-8"),
    ],
)
def test_malformed_frames_raise_payload_error(body: bytes, problem: str) -> None:
    with pytest.raises(PayloadError, match=problem):
        decode_frame(body)
