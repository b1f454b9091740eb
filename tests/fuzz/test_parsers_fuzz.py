"""Bounded fuzzing of every parser that reads outside input: any input gives a value or a typed
error, never another exception or a hang."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from eas_client import ConfigError, DiscoveryError
from eas_client._core import discovery, endpoint, retry

FUZZ = settings(max_examples=400, deadline=None, database=None)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(st.text(max_size=60), st.floats(min_value=0, max_value=4e9))
def test_retry_after_parser_returns_seconds_or_none(value: str, now: float) -> None:
    got = retry.parse_retry_after(value, now)
    assert got is None or (got >= 0 and got == got)


@FUZZ
@given(st.text(max_size=80), st.one_of(st.none(), st.text(max_size=20)))
def test_endpoint_parser_returns_an_endpoint_or_config_error(raw: str, service: str | None) -> None:
    try:
        ep = endpoint.parse_endpoint(raw, service)
    except ConfigError:
        return
    assert ep.scheme in ("http", "https") and ep.netloc
    endpoint.build_url(ep, None, None)


@FUZZ
@given(st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
def test_discovery_parser_returns_instances_or_discovery_error(body: bytes) -> None:
    try:
        instances = discovery.parse_upstreams(body, "svc")
    except DiscoveryError:
        return
    assert instances and all(1 <= i.port <= 65535 and i.weight > 0 for i in instances)


@FUZZ
@given(
    st.lists(
        st.fixed_dictionaries(
            {"ip": st.sampled_from(["10.0.0.1", "10.0.0.2", "h"]), "port": st.integers(-5, 70000)},
            optional={"weight": st.integers(-2, 300)},
        ),
        max_size=6,
    )
)
def test_discovery_items_of_any_shape_never_crash(items: list[dict[str, int]]) -> None:
    body = json.dumps({"endpoints": {"items": items}}).encode()
    try:
        got = discovery.parse_upstreams(body, "svc")
    except DiscoveryError:
        return
    balancer = discovery.Balancer(1.0)
    balancer.update(got)
    for n in range(10):
        assert balancer.pick(float(n)) in got


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
