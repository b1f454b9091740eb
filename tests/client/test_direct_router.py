"""DirectRouter alone (no sockets): when to read the instance list, what a failed read keeps, and
how attempts and their results steer the host choice."""

from __future__ import annotations

import json

import pytest

from eas_client import DiscoveryError
from eas_client._base_client import BaseClient
from eas_client._core.errors import ConnectError, ReadTimeoutError
from eas_client._core.flow import RawResponse, WireRequest
from eas_client._direct import DirectRouter


def _router(refresh: float = 3.0, eject: float = 5.0) -> DirectRouter:
    client = BaseClient(
        "http://10.0.0.9:8080",
        service_name="demo",
        endpoint_type="direct",
        discovery_refresh=refresh,
        eject_for=eject,
    )
    assert client._router is not None
    return client._router


def _answer(*hosts: str, status: int = 200) -> RawResponse:
    items = [{"ip": h, "port": 80, "weight": 1} for h in hosts]
    return RawResponse(status, {}, json.dumps({"endpoints": {"items": items}}).encode())


def test_the_first_read_is_needed_now_then_none_until_stale_then_one_refresh() -> None:
    router = _router(refresh=3.0)
    assert router.need(0.0) == "now"
    router.apply(_answer("10.0.0.1"), 0.0)
    assert router.need(2.9) == "none"
    assert router.need(3.0) == "refresh"
    assert router.need(3.1) == "none"  # one caller refreshes; the others keep the old list
    router.apply(_answer("10.0.0.2"), 3.2)
    assert router.pick(3.3, None).host == "10.0.0.2"


def test_the_discovery_request_carries_no_token_and_names_the_service() -> None:
    req = _router().fetch_request({"User-Agent": "ua"}, 5.0, 1.0)
    assert req == WireRequest(
        "GET",
        "http://10.0.0.9:8080",
        "/api/v1/servicediscovery/upstreams/demo",
        {"User-Agent": "ua"},
        b"",
        5.0,
        1.0,
    )


def test_a_failed_read_keeps_the_last_list_but_a_first_failure_raises() -> None:
    router = _router()
    with pytest.raises(DiscoveryError, match="discovery request failed"):
        router.apply(_answer(status=503), 0.0)
    router.apply(_answer("10.0.0.1"), 1.0)
    router.apply(ConnectError("refused"), 5.0)  # kept, no raise
    assert router.pick(5.0, None).host == "10.0.0.1"
    assert router.need(6.0) == "none"  # the failed read counts as a read: no retry storm


def test_a_connect_failure_ejects_the_instance_and_an_answer_restores_it() -> None:
    router = _router(eject=5.0)
    router.apply(_answer("10.0.0.1", "10.0.0.2"), 0.0)
    first = router.pick(0.0, None)
    router.report(first, ConnectError("refused"), 0.0)
    assert {router.pick(t, None).host for t in (1.0, 2.0, 3.0)} == {
        "10.0.0.2" if first.host == "10.0.0.1" else "10.0.0.1"
    }
    router.report(first, RawResponse(500, {}, b""), 6.0)  # any HTTP answer ends the failures
    assert {router.pick(6.0 + i, None).host for i in range(4)} == {"10.0.0.1", "10.0.0.2"}


def test_a_timeout_does_not_eject_and_a_retry_leaves_the_instance_it_tried() -> None:
    router = _router()
    router.apply(_answer("10.0.0.1", "10.0.0.2"), 0.0)
    first = router.pick(0.0, None)
    router.report(first, ReadTimeoutError("slow"), 0.0)
    assert router.pick(0.0, exclude=first).host != first.host
    hosts = [router.pick(1.0 + i, None).host for i in range(4)]
    assert sorted(hosts) == ["10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.2"]
