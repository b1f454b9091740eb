"""_core/payload: what predict() sends for each kind of data (PAYLOAD-1 … 4)."""

from __future__ import annotations

from typing import Any

import pytest

from eas_client import PayloadError
from eas_client._core.payload import CT_BYTES, CT_JSON, CT_TEXT, encode_json, encode_payload


def test_bytes_like_data_goes_as_is() -> None:
    for data in (b"\x00\x01", bytearray(b"\x00\x01"), memoryview(b"\x00\x01")):
        encoded = encode_payload(data)
        assert (encoded.body, encoded.content_type, encoded.parse) == (b"\x00\x01", CT_BYTES, None)


def test_text_is_utf8_and_a_lone_surrogate_is_refused() -> None:
    assert encode_payload("héllo").body == "héllo".encode()
    assert encode_payload("héllo").content_type == CT_TEXT
    with pytest.raises(PayloadError, match="index 1.*pass bytes"):
        encode_payload("a\ud800")


def test_dicts_and_lists_are_compact_json_keeping_non_ascii() -> None:
    assert encode_payload({"a": [1, 2], "t": "é"}).body == '{"a":[1,2],"t":"é"}'.encode()
    assert encode_payload([1]).content_type == CT_JSON


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"x": float("nan")}, "NaN and Infinity"),
        ({"x": {1, 2}}, "not JSON-serialisable"),
        ({"x": "\ud800"}, "Unicode"),
    ],
)
def test_json_that_cannot_be_written_is_a_payload_error(data: Any, words: str) -> None:
    with pytest.raises(PayloadError, match=words):
        encode_json(data)


class Typed:
    content_type = "application/x-test"

    def __init__(self, body: object) -> None:
        self.body = body

    def to_body(self) -> Any:
        return self.body

    def parse_response(self, body: bytes) -> str:
        return body.decode()


def test_a_typed_payload_brings_its_body_type_and_parser() -> None:
    encoded = encode_payload(Typed(b"raw"))
    assert (encoded.body, encoded.content_type) == (b"raw", "application/x-test")
    assert encoded.parse is not None and encoded.parse(b"ok") == "ok"
    with pytest.raises(PayloadError, match=r"Typed.to_body\(\) returned str"):
        encode_payload(Typed("not bytes"))


def test_anything_else_names_what_predict_takes() -> None:
    with pytest.raises(PayloadError, match="cannot send a int: predict.. takes bytes, str"):
        encode_payload(3)
