"""Bad input gets a PayloadError that names the feed (or output) and the problem, on both codecs."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from eas_client import PayloadError
from eas_client.payloads import TFRequest, TFResponse, TorchRequest, TorchResponse, decode_tf_request
from eas_client.payloads._tensor import use_codec


@pytest.fixture(params=["numpy", "python"])
def codec(request: pytest.FixtureRequest) -> Iterator[str]:
    use_codec(request.param)
    yield request.param
    use_codec(None)


def _feed_error(value: object, **kwargs: object) -> str:
    with pytest.raises(PayloadError) as info:
        TFRequest().add_feed("img", value, **kwargs)
    return str(info.value)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (np.array([1, "a", None], dtype=object), ["feed 'img'", "str or bytes"]),
        (np.array(["2024-01-01"], dtype="datetime64[D]"), ["feed 'img'", "datetime64"]),
        (np.array([1 + 2j]), ["feed 'img'", "complex128"]),
        (np.zeros(2, dtype=np.float16), ["feed 'img'", "float16", "astype"]),
        (np.zeros(2, dtype=np.uint64), ["feed 'img'", "uint64"]),
    ],
    ids=["object", "datetime", "complex", "float16", "uint64"],
)
def test_unsupported_numpy_dtypes_are_refused(value: object, words: list[str]) -> None:
    message = _feed_error(value)
    assert all(w in message for w in words), message


def test_object_array_cannot_be_sent_as_numbers() -> None:
    assert "object arrays" in _feed_error(np.array([1, 2], dtype=object), dtype="float")


def test_unknown_dtype_name_lists_the_choices(codec: str) -> None:
    message = _feed_error([1.0], dtype="complex64")
    assert "feed 'img'" in message and "float, double" in message


def test_shape_mismatch_says_both_counts(codec: str) -> None:
    message = _feed_error([1, 2, 3, 4, 5], shape=[2, 3])
    assert message == "feed 'img': shape [2, 3] holds 6 values but 5 were given"


def test_ragged_lists_are_refused(codec: str) -> None:
    assert "ragged" in _feed_error([[1, 2], [3]])


def test_negative_shape_is_refused(codec: str) -> None:
    assert "negative" in _feed_error([], shape=[-1, 0])


def test_torch_has_no_bool(codec: str) -> None:
    with pytest.raises(PayloadError, match=r"feed 0: the PyTorch processor has no bool tensors"):
        TorchRequest().add_feed(0, [True, False])


def test_out_of_range_ints_are_refused_not_wrapped(codec: str) -> None:
    assert "DT_UINT8 range" in _feed_error([256], dtype="uint8")


def test_strings_cannot_be_numbers(codec: str) -> None:
    assert "strings cannot be sent as DT_FLOAT" in _feed_error(["1.5"], dtype="float")


def test_bad_keys_are_refused() -> None:
    with pytest.raises(PayloadError, match="feed name must be a str"):
        TFRequest().add_feed(1, [1])  # type: ignore[arg-type]
    with pytest.raises(PayloadError, match="feed index"):
        TorchRequest().add_feed(-1, [1])
    with pytest.raises(PayloadError, match="fetch index"):
        TorchRequest().add_fetch(2**31)


def test_missing_output_names_what_there_is(codec: str) -> None:
    resp = TFResponse.from_body(TFRequest().add_feed("y", [1.0]).to_body()[0:0])
    with pytest.raises(PayloadError, match=r"TF response has no output 'y'; it has \[\]"):
        resp.get("y")
    torch = TorchResponse.from_body(bytes.fromhex("0a0408011a00"))
    with pytest.raises(PayloadError, match=r"no output 1; it has \[0\]"):
        torch.shape(1)


def _response(array_hex: str) -> bytes:
    """A PredictResponse with one output ``y`` whose ArrayProto is ``array_hex``."""
    value = bytes.fromhex(array_hex)
    entry = b"\x0a\x01y\x12" + bytes([len(value)]) + value
    return b"\x0a" + bytes([len(entry)]) + entry


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (bytes.fromhex("0a100a0179"), "truncated body"),
        (bytes.fromhex("0a0b0a01791206088080"), "truncated body"),
        (_response("08032a04ffffffff"), "truncated"),
        (_response("08032a0bffffffffffffffffffff01"), "longer than 10 bytes"),
        (_response("08011a03000000"), "not whole values"),
        (_response("08011f"), "wire type 7"),
        (_response("0809120c0a0affffffffffffffffff013a0101"), "negative dimension"),
        (_response("080112030a01031a080000803f0000803f"), "does not fit 2 values"),
        (_response("081e"), "unknown dtype 30"),
        (_response("0813"), "DT_HALF is not supported"),
    ],
    ids=[
        "length",
        "varint",
        "packed-varint",
        "long-varint",
        "float-length",
        "wire-type",
        "negative-dim",
        "shape-mismatch",
        "unknown-dtype",
        "half",
    ],
)
def test_malformed_responses_say_what_is_wrong(codec: str, body: bytes, words: str) -> None:
    with pytest.raises(PayloadError, match=words):
        TFResponse.from_body(body).get("y")


def test_a_malformed_request_body_is_a_payload_error(codec: str) -> None:
    with pytest.raises(PayloadError, match="TF request"):
        decode_tf_request(b"\x0a\x05ab")


@pytest.mark.parametrize(
    "value",
    [[1.5, "a"], ["a", 1.5], [1, None], None, {"a": 1}],
    ids=["num-str", "str-num", "none", "bare-none", "dict"],
)
def test_values_that_are_no_tensor_are_refused(codec: str, value: object) -> None:
    message = _feed_error(value)
    assert message.startswith("feed 'img': ") and any(
        w in message for w in ("mixed element types", "cannot send a", "must be str or bytes")
    ), message
