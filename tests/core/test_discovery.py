"""_core/discovery: reading the instance list and choosing an instance for direct mode (DISC-*).
The cross-language cases are in spec/vectors/discovery_parse.json and host_pick.json
(tests/spec); here are the balancer's cool-offs, and a bounded fuzz of the parser."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eas_client import DiscoveryError
from eas_client._core import discovery
from eas_client._core.discovery import Balancer, Instance

FUZZ = settings(max_examples=400, deadline=None, database=None)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=20,
)
A, B = Instance("10.0.0.1", 80, 1), Instance("10.0.0.2", 80, 2)


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


def test_parse_keeps_running_instances_with_the_default_weight() -> None:
    body = json.dumps(
        {"endpoints": {"items": [{"ip": "10.0.0.1", "port": 80}, {"ip": "::1", "port": 81, "weight": 0}]}}
    ).encode()
    assert discovery.parse_upstreams(body, "svc") == [Instance("10.0.0.1", 80, discovery.DEFAULT_WEIGHT)]
    assert Instance("::1", 81, 1).origin == "http://[::1]:81"
    assert discovery.discovery_target("grp/sub") == "/api/v1/servicediscovery/upstreams/grp"


def test_the_balancer_follows_the_weights_smoothly() -> None:
    balancer = Balancer(eject_for=5.0)
    balancer.update([A, B])
    picks = [balancer.pick(0.0).key for _ in range(6)]
    assert Counter(picks) == {A.key: 2, B.key: 4}
    assert picks[:3] == [B.key, A.key, B.key]  # interleaved, not B, B, A


def test_an_ejected_instance_cools_off_for_doubling_times_until_it_answers() -> None:
    balancer = Balancer(eject_for=5.0)
    balancer.update([A, B])
    assert [balancer.eject(B, 0.0) for _ in range(6)] == [5.0, 10.0, 20.0, 40.0, 80.0, 80.0]
    assert balancer.failing(B)
    assert {balancer.pick(10.0).key for _ in range(4)} == {A.key}
    assert balancer.pick(100.0, exclude=A) == B  # back after its cool-off
    balancer.succeed(B)
    assert not balancer.failing(B) and balancer.eject(B, 0.0) == 5.0


def test_with_every_instance_down_the_one_back_soonest_is_tried() -> None:
    balancer = Balancer(eject_for=5.0)
    balancer.update([A, B])
    balancer.eject(A, 0.0)
    balancer.eject(B, 0.0)
    balancer.eject(B, 0.0)
    assert balancer.pick(1.0) == A


def test_an_unchanged_list_keeps_the_rotation_and_an_empty_one_is_an_error() -> None:
    balancer = Balancer(eject_for=5.0)
    assert balancer.update([A, B]) and not balancer.update([B, A])
    with pytest.raises(DiscoveryError):
        Balancer(1.0).pick(0.0)
