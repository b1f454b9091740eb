"""Runs spec/vectors/queue_*.json (protocol.md §15) against the queue client's sans-IO parts."""

from __future__ import annotations

from typing import Any

import pytest

import eas_client
from eas_client._core import dataframe as df
from eas_client._core import queue as q
from eas_client._core import watch as w
from eas_client.queue import QueueClient

from .corpus import bytes_match, decode_data, params

_SHOWN = ("Authorization", q.HEADER_UID, q.HEADER_GID, "Accept", "Content-Type")


def _call(op: str, args: dict[str, Any]) -> q.QueueCall:
    a = dict(args)
    if op == "put":
        a.pop("data", None)
        return q.put_call(a.get("priority"), a.get("tags"))
    builders: dict[str, Any] = {
        "get": q.get_call,
        "commit": lambda **k: q.indexes_call("commit", **k),
        "delete": lambda **k: q.indexes_call("delete", **k),
        "negative": q.negative_call,
        "truncate": q.truncate_call,
        "end": q.end_call,
        "attributes": q.attributes_call,
        "search": q.search_call,
        "count": q.count_call,
    }
    call: q.QueueCall = builders[op](**a)
    return call


def build_request(client: QueueClient, op: str, args: dict[str, Any]) -> dict[str, Any]:
    """The expect form of queue_requests.json for one operation, built without I/O."""
    extra = [k for k in (client.config.headers and dict(client.config.headers)) or {}]
    if op == "watch":
        a = dict(args)
        url, headers = client._watch_target(a.pop("index", 0), **a)
        method, body = "GET", b""
    else:
        data = decode_data(args["data"]) if "data" in args else None
        req = client._prepare_call(_call(op, args), data)
        url, headers, method, body = req.url, req.headers, req.method, req.body
    lowered = {k.lower(): v for k, v in dict(headers).items()}
    assert lowered["user-agent"].startswith("eas-client-")
    shown = {name: lowered.get(name.lower()) for name in (*_SHOWN, *extra)}
    try:
        body_spec = {"text": body.decode("ascii")}
    except UnicodeDecodeError:
        body_spec = {"hex": body.hex()}
    return {"method": method, "url": url, "headers": shown, "body": body_spec}


def _client(spec: dict[str, Any]) -> QueueClient:
    return QueueClient(
        spec.get("endpoint"),
        spec.get("token"),
        queue=spec.get("queue"),
        uid=spec.get("uid"),
        gid=spec.get("gid", q.DEFAULT_GID),
        headers=spec.get("headers"),
    )


@pytest.mark.parametrize("case", params("vectors", ["queue_requests"]))
def test_queue_requests(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EAS_ENDPOINT", "EAS_TOKEN", "EAS_SERVICE_NAME"):
        monkeypatch.delenv(name, raising=False)
    inp, exp = case["input"], case["expect"]

    def build() -> dict[str, Any]:
        with _client(inp["client"]) as client:
            return build_request(client, inp["op"], inp.get("args", {}))

    if "error" in exp:
        with pytest.raises(getattr(eas_client, exp["error"])):
            build()
        return
    got = build()
    assert (got["method"], got["url"]) == (exp["method"], exp["url"])
    for name, value in exp["headers"].items():
        assert got["headers"].get(name, got["headers"].get(name.lower())) == value, name
    body = got["body"]["text"].encode() if "text" in got["body"] else bytes.fromhex(got["body"]["hex"])
    assert bytes_match(body, exp["body"])


def _frame(value: dict[str, Any]) -> df.DataFrame:
    return df.DataFrame(
        value["index"], dict(value["tags"]), bytes.fromhex(value["data_hex"]), value["message"]
    )


def _encode(kind: str, value: Any) -> bytes:
    if kind == "DataFrame":
        return df.encode_dataframe(_frame(value))
    if kind == "DataFrameList":
        return df.encode_dataframe_list([_frame(v) for v in value])
    return df.encode_attributes(value)


def _decode(kind: str, body: bytes) -> Any:
    if kind == "DataFrame":
        return df.decode_dataframe(body).to_json()
    if kind == "DataFrameList":
        return [f.to_json() for f in df.decode_dataframe_list(body)]
    return df.decode_attributes(body)


def _oracle(kind: str, value: Any) -> bytes:
    """The same value serialized by classes protoc generated from spec/proto/queueservice.proto."""
    from ..payloads._pb import queueservice_pb2 as pb

    def frame(v: dict[str, Any]) -> Any:
        m = pb.DataFrameProto(index=v["index"], data=bytes.fromhex(v["data_hex"]), message=v["message"])
        for key, val in v["tags"].items():
            m.tags[key] = val
        return m

    if kind == "DataFrame":
        return bytes(frame(value).SerializeToString())
    if kind == "DataFrameList":
        return bytes(pb.DataFrameListProto(index=[frame(v) for v in value]).SerializeToString())
    msg = pb.AttributesProto()
    for key, val in value.items():
        msg.attributes[key] = val
    return bytes(msg.SerializeToString())


@pytest.mark.parametrize("case", params("vectors", ["queue_dataframe"]))
def test_queue_dataframe(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    if "encode" in inp:
        got = _encode(inp["encode"], inp["value"])
        assert got.hex() == exp["hex"]
        assert _oracle(inp["encode"], inp["value"]) == got  # byte for byte with protobuf's serializer
        return
    body = bytes.fromhex(inp["hex"])
    if "error" in exp:
        with pytest.raises(getattr(eas_client, exp["error"])):
            _decode(inp["decode"], body)
        return
    assert _decode(inp["decode"], body) == exp["value"]


@pytest.mark.parametrize("case", params("vectors", ["queue_timeout"]))
def test_queue_timeout(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    if "parse" in inp:
        if exp.get("invalid"):
            with pytest.raises(ValueError):
                q.parse_wait(inp["parse"])
        else:
            assert abs(q.parse_wait(inp["parse"]) - exp["seconds"]) < 1e-9
        return
    if "error" in exp:
        with pytest.raises(getattr(eas_client, exp["error"])):
            q.format_wait(inp["format"])
        return
    assert q.format_wait(inp["format"]) == exp["text"]


@pytest.mark.parametrize("case", params("vectors", ["queue_negative"]))
def test_queue_negative(case: dict[str, Any]) -> None:
    code = case["input"]["code"]
    if case["expect"]["valid"]:
        assert q.check_negative_code(code) == code
    else:
        with pytest.raises(eas_client.ConfigError):
            q.check_negative_code(code)


@pytest.mark.parametrize("case", params("vectors", ["queue_watch"]))
def test_queue_watch(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    if "defaults" in inp:
        assert w.DEFAULT_PING_INTERVAL_S == exp["ping_interval_s"]
        assert w.DEFAULT_PING_TIMEOUT_S == exp["ping_timeout_s"]
        assert w.DEFAULT_MAX_RECONNECTS == exp["max_reconnects"]
        assert q.DEFAULT_WATCH_WINDOW == exp["window"]
        assert q.DEFAULT_GET_WAIT_S == exp["get_timeout_s"]
        assert q.DEFAULT_GID == exp["gid"]
        assert q.DEFAULT_SUBMIT_CONCURRENCY == exp["submit_concurrency"]
        return
    if "failures" in inp:
        assert abs(w.reconnect_delay(inp["failures"], inp["rand"]) - exp["delay"]) < 1e-9
        return
    state = w.WatchState(inp["start"], max_reconnects=inp.get("max_reconnects", w.DEFAULT_MAX_RECONNECTS))
    delivered: list[int] = []
    skipped: list[int] = []
    connects, outcome = [state.resume_index()], "open"
    for event in inp["events"]:
        try:
            if "frame" in event:
                (delivered if state.offer(event["frame"]) else skipped).append(event["frame"])
            elif "pong" in event:
                state.alive()
            elif not state.dropped():
                outcome = "gave_up"
                break
            else:
                connects.append(state.resume_index())
        except eas_client.EASError as exc:
            outcome = type(exc).__name__
            break
    assert {
        "delivered": delivered,
        "skipped": skipped,
        "connect_indexes": connects,
        "outcome": outcome,
    } == exp
