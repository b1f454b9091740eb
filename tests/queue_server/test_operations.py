"""Every queue operation of `eas serve --async` over a real socket: put, get (index, length,
timeout, auto-delete, tags, requestId, raw, JSON), commit, delete, negative, truncate, end,
attributes, search, count, priorities, and the processor path from input to sink."""

from __future__ import annotations

import time

import pytest

from eas_client.server.queue.codec import Frame, decode_attributes
from tests.queue_server.conftest import TOKEN, Service
from tests.queue_server.helpers import PROTOBUF, REQUEST_ID, Queue, recv_frame


def test_put_answers_index_from_1_and_request_id(service: Service) -> None:
    resp = service.sink.call("POST", body=b"a")
    assert (resp.status_code, resp.text) == (200, "1")
    assert len(resp.headers[REQUEST_ID]) == 36
    assert service.sink.put(b"b")[0] == 2
    assert service.input.put(b"x")[0] == 1  # each queue counts its own indexes


def test_processor_result_lands_in_sink_tagged_with_request_id(service: Service) -> None:
    _, rid = service.input.put(b"hello", color="red")
    with service.sink.watch(_window_=1) as ws:
        frame = recv_frame(ws)
    assert frame.data == b"HELLO"
    assert frame.tags == {"requestId": rid, "color": "red"}
    assert frame.message == ""
    _, bad = service.input.put(b"fail")
    [result] = service.sink.get(requestId=bad, _timeout_="5s")
    assert (result.data, result.message) == (b"cannot process this", "400")


def test_get_by_index_request_id_and_tags(service: Service) -> None:
    i1, r1 = service.sink.put(b"one", kind="a")
    i2, _ = service.sink.put(b"two", kind="b")
    i3, _ = service.sink.put(b"three", kind="a")
    assert [f.index for f in service.sink.get(_index_=i2, _auto_delete_="false")] == [i2]
    assert [f.data for f in service.sink.get(requestId=r1, _auto_delete_="false")] == [b"one"]
    found = service.sink.get(kind="a", _length_=5)  # auto-delete (the default) removes them
    assert [(f.index, f.data, f.tags["kind"]) for f in found] == [(i1, b"one", "a"), (i3, b"three", "a")]
    assert service.sink.length() == 1
    assert service.sink.get(kind="a") == []


def test_get_waits_for_an_item_and_answers_empty_before_timeout(service: Service) -> None:
    start = time.monotonic()
    assert service.sink.get(_timeout_="1s") == []
    took = time.monotonic() - start
    assert 0.8 <= took < 1.0  # a little before _timeout_, so a client reading with it never races
    resp = service.sink.call("GET", {"_timeout_": "0s"}, Accept=PROTOBUF)
    assert (resp.status_code, resp.content) == (200, b"")


def test_get_without_auto_delete_leases_to_its_caller(service: Service) -> None:
    index, _ = service.sink.put(b"x")
    other = Queue(service.sink.url, TOKEN, uid="u2")
    try:
        assert [f.index for f in service.sink.get(_auto_delete_="false")] == [index]
        assert other.get() == []  # leased to u1
        assert [f.index for f in service.sink.get(_auto_delete_="false")] == [index]  # u1 again
        assert service.sink.commit(index).status_code == 200
        assert service.sink.length() == 0
    finally:
        other.close()


def test_raw_and_json_answers(service: Service) -> None:
    index, rid = service.sink.put(b"raw-bytes", k="v")
    resp = service.sink.call("GET", {"_raw_": "true", "_auto_delete_": "false", "_timeout_": "0s"})
    assert (resp.status_code, resp.content) == (200, b"raw-bytes")
    resp = service.sink.call("GET", {"_timeout_": "0s"}, Accept="application/json")
    assert resp.json() == [{"index": index, "tags": {"k": "v", "requestId": rid}, "data": "cmF3LWJ5dGVz"}]


def test_delete_truncate_and_count(service: Service) -> None:
    indexes = [service.sink.put(f"{i}".encode(), parity=str(i % 2))[0] for i in range(6)]
    assert service.sink.call("GET", {"_count_": "true"}).text == "6"
    assert service.sink.call("GET", {"_count_": "true", "parity": "1"}).text == "3"
    assert service.sink.call("DELETE", {"_indexes_": f"{indexes[0]},{indexes[1]}"}).status_code == 200
    assert service.sink.call("DELETE", {"_index_": indexes[4], "_trunc_": "true"}).status_code == 200
    assert [f.index for f in service.sink.get(_length_=10)] == indexes[4:]


def test_priority_items_are_delivered_first(service: Service) -> None:
    low, _ = service.sink.put(b"low")
    high, _ = service.sink.put(b"high", _priority_=1)
    later, _ = service.sink.put(b"later")
    assert service.sink.call("GET", {"_count_": "true", "_priority_": 1}).text == "1"
    assert [f.index for f in service.sink.get(_length_=3)] == [high, low, later]


def test_priority_header(service: Service) -> None:
    low, _ = service.sink.put(b"low")
    headers = {**service.sink.headers, "X-EAS-QueueService-Priority": "2"}
    resp = service.sink.http.post(service.sink.url, content=b"high", headers=headers)
    assert [f.index for f in service.sink.get(_length_=2)] == [int(resp.text), low]


def test_negative_hands_the_item_back_with_its_code(service: Service) -> None:
    index, _ = service.sink.put(b"x")
    assert service.sink.get(_auto_delete_="false")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    resp = service.sink.call(
        "PUT", {"_indexes_": index, "_negative_": "true"}, b"_code_=Model.Failed&_reason_=oom", **form
    )
    assert resp.status_code == 200, resp.text
    other = Queue(service.sink.url, TOKEN, uid="u2")
    try:
        [frame] = other.get()
    finally:
        other.close()
    assert (frame.index, frame.message) == (index, "Model.Failed: oom")


def test_end_refuses_later_puts_and_force_drops(service: Service) -> None:
    service.sink.put(b"x")
    assert service.sink.call("POST", {"_eos_": "true"}).status_code == 200
    assert service.sink.attributes()["meta.state"] == "Ended"
    resp = service.sink.call("POST", body=b"late")
    assert resp.status_code == 409 and "ended" in resp.text
    assert service.sink.call("POST", {"_eos_": "true", "_force_": "true"}).status_code == 200
    assert service.sink.length() == 0


def test_attributes_json_and_protobuf(service: Service) -> None:
    service.sink.put(b"a")
    service.sink.put(b"b")
    attrs = service.sink.attributes()
    expected = {
        "meta.backend": "memory",
        "meta.name": "svc/sink",
        "meta.state": "Normal",
        "meta.header.user": "X-EAS-QueueService-Redis-Uid",
        "meta.header.group": "X-EAS-QueueService-Redis-Gid",
        "meta.header.priority": "X-EAS-QueueService-Priority",
        "stream.length": "2",
        "stream.firstEntry": "1",
        "stream.lastEntry": "2",
        "consumers.status.total": "0",
    }
    assert {k: attrs[k] for k in expected} == expected
    assert {"meta.maxPayloadBytes", "stream.approxMaxLength"} <= set(attrs)
    resp = service.sink.call("GET", {"_attrs_": "true"}, Accept=PROTOBUF)
    assert decode_attributes(resp.content) == attrs


def test_search(service: Service) -> None:
    first, rid = service.sink.put(b"a")
    second, _ = service.sink.put(b"b")
    doc = service.sink.call("GET", {"_search_": "true", "_index_": second}).json()
    assert doc["index"] == second and doc["status"] == "Waiting" and doc["waitCount"] == 1
    assert service.sink.call("GET", {"_search_": "true", "_index_": first}).json()["requestId"] == rid
    missing = service.sink.call("GET", {"_search_": "true", "_index_": 99})
    assert missing.status_code == 404 and "index 99" in missing.text


def test_put_with_requestid_tag_keeps_it(service: Service) -> None:
    resp = service.sink.call("POST", {"requestId": "mine-1"}, b"x")
    assert resp.headers[REQUEST_ID] == "mine-1"
    assert service.sink.get(requestId="mine-1") == [Frame(int(resp.text), {"requestId": "mine-1"}, b"x")]


@pytest.mark.parametrize("service", [{"queue_lease_s": 0.5}], indirect=True)
def test_a_get_lease_times_out_and_the_item_is_delivered_again(service: Service) -> None:
    index, _ = service.sink.put(b"x")
    assert [f.index for f in service.sink.get(_auto_delete_="false")] == [index]
    other = Queue(service.sink.url, TOKEN, uid="u2")
    try:
        assert other.get() == []
        [again] = other.get(_timeout_="5s")  # the lease ends within 0.5 s + the sweep period
    finally:
        other.close()
    assert again.index == index
