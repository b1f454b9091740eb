"""The gateway in front of another HTTP server (``--upstream``) and of an ASGI app, over real
sockets: what is forwarded, the answer relayed chunk by chunk as it comes, and the gateway's own
behaviour (tokens, signatures, 450, 408, 413, faults, 502) applied before anything is forwarded."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

from eas_client import EASClient
from eas_client.testing import LocalRuntime

from .rawhttp import RawStream
from .upstream import Script, Upstream

TOKEN = "forward-token-123456"


def test_the_call_is_forwarded_to_the_sub_path_without_the_credential() -> None:
    with Upstream() as up, LocalRuntime(upstream=up.url, service="demo", token=TOKEN) as rt:
        up.script = Script(headers={"Content-Type": "application/json"}, chunks=[b'{"ok": true}'])
        headers = {"Authorization": f"Bearer {TOKEN}", "X-Trace": "t1", "Accept-Encoding": "gzip, deflate"}
        headers |= {"Connection": "keep-alive, X-Hop", "X-Hop": "dropped"}
        with RawStream(rt.endpoint + "/v1/chat/completions?a=1&b=%2F", b'{"q": 1}', headers) as s:
            assert (s.status, s.chunk(), s.chunk()) == (200, b'{"ok": true}', b"")
            assert s.headers["x-upstream"] == "yes"
            assert s.headers["content-type"] == "application/json"
        [seen] = up.seen
        assert (seen.method, seen.target, seen.body) == (
            "POST",
            "/v1/chat/completions?a=1&b=%2F",
            b'{"q": 1}',
        )
        assert "authorization" not in seen.headers and "x-hop" not in seen.headers
        assert seen.headers["accept-encoding"] == "identity"  # a compressed stream would arrive at once
        assert seen.headers["x-trace"] == "t1"
        assert seen.headers["x-forwarded-prefix"] == "/api/predict/demo"
        assert seen.headers["x-forwarded-for"] == "127.0.0.1"
        assert seen.headers["host"] == up.url.removeprefix("http://")


def test_any_method_is_forwarded_and_the_bare_service_url_is_the_root() -> None:
    with Upstream() as up, LocalRuntime(upstream=up.url, service="demo") as rt:
        with RawStream(rt.endpoint + "/v1/models", method="GET") as s:
            assert (s.status, s.chunk()) == (200, b"whole body")
        with RawStream(rt.endpoint, b"x") as s:
            assert s.status == 200
        assert [(x.method, x.target) for x in up.seen] == [("GET", "/v1/models"), ("POST", "/")]
        with RawStream(rt.base_url + "/elsewhere", method="GET") as s:
            assert s.status == 404


def test_an_upstream_stream_reaches_the_caller_event_by_event() -> None:
    gates = [threading.Event(), threading.Event()]
    script = Script(chunks=[b"data: 1\n\n", b"data: 2\n\n", b"data: [DONE]\n\n"], gates=gates)
    with Upstream() as up, LocalRuntime(upstream=up.url, service="demo", token=TOKEN) as rt:
        up.script = script
        with RawStream(rt.endpoint + "/v1/stream", b"{}", {"Authorization": TOKEN}) as s:
            assert s.headers["content-type"] == "text/event-stream"
            assert "content-encoding" not in s.headers
            assert s.chunk() == b"data: 1\n\n"
            assert not s.pending()  # the next event does not exist yet
            gates[0].set()
            assert s.chunk() == b"data: 2\n\n"
            assert not s.pending()
            gates[1].set()
            assert (s.chunk(), s.chunk()) == (b"data: [DONE]\n\n", b"")
        assert rt.wait_idle(10)


def test_upstream_connections_are_kept_alive_and_a_closed_one_is_replaced() -> None:
    with Upstream() as up, LocalRuntime(upstream=up.url) as rt:
        for _ in range(3):
            with RawStream(rt.endpoint, b"") as s:
                assert (s.chunk(), s.chunk()) == (b"whole body", b"")
        assert len({x.port for x in up.seen}) == 1  # one upstream connection for three calls
        up.script = Script(close_after=True)  # drops each connection after its answer
        for _ in range(3):
            with RawStream(rt.endpoint, b"") as s:
                assert (s.chunk(), s.chunk()) == (b"whole body", b"")
        up.script = Script(headers={"Connection": "close"})
        for _ in range(2):
            with RawStream(rt.endpoint, b"", method="GET") as s:
                assert (s.status, s.chunk()) == (200, b"whole body")
        assert len({x.port for x in up.seen}) == 5  # the kept one answers once more, then one per call


def test_gateway_refusals_happen_before_anything_is_forwarded() -> None:
    with Upstream() as up, LocalRuntime(upstream=up.url, service="demo", token=TOKEN, max_body=10) as rt:
        with RawStream(rt.endpoint + "/x", b"", {"Authorization": "Bearer wrong"}) as s:
            assert s.status == 401
        with RawStream(rt.base_url + "/api/predict/other/x", b"", {"Authorization": TOKEN}) as s:
            assert s.status == 404
        with RawStream(rt.endpoint + "/x", b"x" * 11, {"Authorization": TOKEN}) as s:
            assert s.status == 413
        rt.set_faults(rate_503=1.0)
        with RawStream(rt.endpoint + "/x", b"", {"Authorization": TOKEN}) as s:
            assert s.status == 503
        assert up.seen == []
        rt.set_faults()
        with EASClient(rt.endpoint, TOKEN, auth="signature") as client:  # signed calls pass too
            assert client.predict(b"abc", path="v1/signed") == b"whole body"
        assert [x.target for x in up.seen] == ["/v1/signed"]


def test_calls_beyond_workers_and_queue_get_450_while_a_stream_is_open() -> None:
    gate = threading.Event()
    with Upstream() as up, LocalRuntime(upstream=up.url, worker_threads=1, queue_size=0) as rt:
        up.script = Script(chunks=[b"a", b"b"], gates=[gate])
        with RawStream(rt.endpoint, b"") as first:
            assert first.chunk() == b"a"
            with RawStream(rt.endpoint, b"") as second:
                assert (second.status, second.body()) == (450, b"instance queue is full")
            gate.set()
            assert (first.chunk(), first.chunk()) == (b"b", b"")


def test_an_upstream_slower_than_keepalive_to_answer_is_408() -> None:
    head = threading.Event()
    with Upstream() as up, LocalRuntime(upstream=up.url, keepalive_ms=100) as rt:
        up.script = Script(head_gate=head)
        with RawStream(rt.endpoint, b"") as s:
            assert s.status == 408
            assert s.body() == f"no answer from {up.url} within 100 ms (rpc.keepalive)".encode()
        head.set()


def test_an_unreachable_upstream_is_502_with_the_reason() -> None:
    with Upstream() as up:
        url = up.url
    with LocalRuntime(upstream=url) as rt, RawStream(rt.endpoint, b"") as s:
        assert s.status == 502
        assert s.body().startswith(f"upstream {url} is unreachable (".encode())


def test_an_upstream_that_breaks_mid_answer_cuts_the_caller_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="eas_client.server")
    with Upstream() as up, LocalRuntime(upstream=up.url) as rt:
        gate = threading.Event()
        up.script = Script(chunks=[b"a", b"b"], gates=[gate], break_after=1)
        with RawStream(rt.endpoint, b"") as s:
            assert s.chunk() == b"a"
            gate.set()  # the upstream now drops the connection instead of sending b"b"
            with pytest.raises(EOFError):
                s.chunk()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("the upstream broke off its answer")


def test_a_caller_who_leaves_closes_the_upstream_call_quietly(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="eas_client.server")
    gates = [threading.Event(), threading.Event()]
    with Upstream() as up, LocalRuntime(upstream=up.url) as rt:
        up.script = Script(chunks=[b"a", b"b", b"c"], gates=gates)
        with RawStream(rt.endpoint, b"") as s:
            assert s.chunk() == b"a"
            gates[0].set()
            assert s.chunk() == b"b"
        assert rt.wait_idle(10)  # the relay ended without waiting for the upstream's last chunk
        gates[1].set()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


class GatedApp:
    """A raw ASGI app: streams b"first", then b"second" once ``gate`` is set; records lifespan
    events and the scopes it was called with."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.events: list[str] = []
        self.paths: list[tuple[str, bytes, bytes]] = []
        self.cancelled = threading.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                self.events.append(message["type"])
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        self.paths.append((scope["path"], scope["raw_path"], scope["query_string"]))
        body = (await receive())["body"]
        if body == b"raise":
            raise RuntimeError("app bug")
        await send({"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"text/x")]})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        try:
            await asyncio.to_thread(self.gate.wait, 10)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        if body == b"fail-late":
            raise RuntimeError("app bug after the head")
        await send({"type": "http.response.body", "body": b"second", "more_body": False})


def test_an_asgi_app_is_served_behind_the_gateway_chunk_by_chunk() -> None:
    app = GatedApp()
    with LocalRuntime(app, service="demo", token=TOKEN) as rt:
        assert app.events == ["lifespan.startup"]
        with RawStream(rt.endpoint + "/v1/a%20b?x=1", b"", {"Authorization": f"Bearer {TOKEN}"}) as s:
            assert (s.status, s.headers["content-type"]) == (201, "text/x")
            assert s.chunk() == b"first"
            assert not s.pending()
            app.gate.set()
            assert (s.chunk(), s.chunk()) == (b"second", b"")
        assert app.paths == [("/v1/a b", b"/v1/a%20b", b"x=1")]
    assert app.events == ["lifespan.startup", "lifespan.shutdown"]


def test_an_asgi_app_failing_before_its_head_is_502_and_after_it_a_cut() -> None:
    app = GatedApp()
    app.gate.set()
    with LocalRuntime(app) as rt:
        with RawStream(rt.endpoint, b"raise") as s:
            assert s.status == 502
            assert b"failed before answering (RuntimeError: app bug)" in s.body()
        with RawStream(rt.endpoint, b"fail-late") as s:
            assert s.chunk() == b"first"
            with pytest.raises(EOFError):
                s.chunk()


def test_a_caller_who_leaves_cancels_the_asgi_app_quietly(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="eas_client.server")
    app = GatedApp()
    with LocalRuntime(app) as rt:
        with RawStream(rt.endpoint, b"") as s:
            assert s.chunk() == b"first"
        assert app.cancelled.wait(10)
        assert rt.wait_idle(10)
        app.gate.set()  # frees the thread the app was waiting in, so the runtime stops at once
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_an_asgi_app_named_module_colon_attribute_is_imported() -> None:
    with LocalRuntime("tests.server.test_forwarding:MODULE_APP") as rt:
        MODULE_APP.gate.set()
        with RawStream(rt.endpoint + "/p", b"") as s:
            assert [s.chunk(), s.chunk(), s.chunk()] == [b"first", b"second", b""]


MODULE_APP = GatedApp()
