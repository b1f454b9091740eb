"""The numpy fast path: zero-copy decode, one copy on encode, no protobuf runtime, lazy numpy,
and the pure-Python fallback when numpy is missing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eas_client.payloads import TFRequest, TFResponse, TorchRequest, _npcodec, _pycodec
from eas_client.payloads._dtypes import DataType
from eas_client.payloads._wire import varint

N = 1_000_000


def _response_body(arr: np.ndarray) -> bytes:
    # A one-feed request (inputs = field 2) becomes a one-output response (outputs = field 1)
    # by changing the first tag byte: the map entries are encoded the same way.
    entry = TFRequest().add_feed("y", arr).to_body()
    assert entry[0] == 0x12
    return b"\x0a" + entry[1:]


def test_decoded_floats_are_read_only_views_of_the_body() -> None:
    body = _response_body(np.arange(1000, dtype=np.float32))
    out = TFResponse.from_body(body).get("y")
    assert not out.flags.owndata and not out.flags.writeable
    assert np.shares_memory(out, np.frombuffer(body, dtype=np.uint8))
    np.testing.assert_array_equal(out, np.arange(1000, dtype=np.float32))


def test_encode_copies_the_tensor_once_and_decode_not_at_all() -> None:
    arr = np.random.default_rng(0).random(N, dtype=np.float32)
    tracemalloc.start()
    body = TFRequest().add_feed("x", arr).to_body()
    encode_peak = tracemalloc.get_traced_memory()[1]
    resp_body = b"\x0a" + body[1:]
    del body
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    TFResponse.from_body(resp_body).get("x")
    decode_peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    assert encode_peak < arr.nbytes * 1.1  # the body itself, no intermediate copies
    assert decode_peak < 64 * 1024  # offsets only; values are a view
    assert resp_body.endswith(arr.tobytes())


def test_big_endian_and_strided_inputs_give_the_same_bytes() -> None:
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    wide = np.zeros((4, 12))
    wide[:, ::2] = base
    expect = TFRequest().add_feed("x", base).to_body()
    for variant in (base.astype(">f8"), wide[:, ::2], np.asfortranarray(base)):
        assert TFRequest().add_feed("x", variant).to_body() == expect


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=50))
def test_vectorised_varints_match_the_reference(values: list[int]) -> None:
    u = np.array(values, dtype=np.int64).view(np.uint64)
    wire = _npcodec.encode_varints(u)
    assert wire == b"".join(varint(v) for v in values)
    np.testing.assert_array_equal(_npcodec.decode_varints("t", wire), u)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(2**31), 2**31 - 1), max_size=30))
def test_int32_paths_agree(values: list[int]) -> None:
    fast = _npcodec.prepare("f", np.array(values, dtype=np.int32), None, None, True)
    slow = _pycodec.prepare("f", values, "int32", None, True)
    assert fast[0] == slow[0] == DataType.DT_INT32
    assert bytes(fast[2]) == bytes(slow[2])  # type: ignore[arg-type]


def _run(code: str) -> None:
    subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True, timeout=60)


def test_the_fast_path_never_imports_protobuf_and_numpy_loads_lazily() -> None:
    _run(
        """
        import sys
        import eas_client.payloads as p
        assert "numpy" not in sys.modules, "numpy imported eagerly"
        import numpy as np
        body = p.TFRequest().add_feed("x", np.ones(3, np.float32)).to_body()
        r = p.TFResponse.from_body(b"\\x0a" + body[1:])
        assert r.get("x").tolist() == [1.0, 1.0, 1.0]
        assert not any(m.startswith("google.protobuf") for m in sys.modules), "protobuf imported"
        """
    )


def test_without_numpy_lists_go_through_the_pure_python_path() -> None:
    _run(
        """
        import sys
        sys.modules["numpy"] = None  # as if numpy were not installed
        from eas_client.payloads import TFRequest, TFResponse, TorchRequest, encode_tf_response
        assert TFRequest().add_feed("x", [1.5], dtype="float").to_body().endswith(bytes.fromhex("0000c03f"))
        resp = TFResponse.from_body(encode_tf_response({"x": [[1.5, 2.0], [3.0, 4.0]], "n": 7}))
        assert resp.get("x") == [[1.5, 2.0], [3.0, 4.0]], resp.get("x")
        assert resp.get("n") == 7 and resp.shape("n") == ()
        torch = TorchRequest().add_feed(0, [1, 2]).to_body()
        assert torch == bytes.fromhex("0a0b0809" "12030a0102" "3a020102")
        """
    )


def test_torch_request_accepts_any_feed_order() -> None:
    a = TorchRequest().add_feed(1, [2]).add_feed(0, [1]).to_body()
    b = TorchRequest().add_feed(0, [1]).add_feed(1, [2]).to_body()
    assert a == b
