"""SEC-1/SEC-2 end to end: through successes, retries, failures and direct mode, the token shows up
in no log record of any logger at any level, no repr and no error text, and caller dicts stay as given."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest

from eas_client import EASError, StatusError

from ..conftest import ClientFactory, collect_stream
from ..scripted_server import Reply, ScriptedServer

TOKEN = "sk-4f9a8b7c6d5e4f3a2b1c"


def test_token_never_leaks_through_any_path(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    echo = TOKEN.encode()
    replies = [
        Reply(200, body=b"fine"),
        # A body echo only: httpcore's own DEBUG trace prints response headers as received, which
        # no client can redact, so a server echoing the token into a header is out of scope.
        Reply(503, body=b"retry " + echo),
        Reply(200, body=b"fine"),
        Reply(401, body=b"bad token " + echo),
        Reply(200, delay_ms=500),
    ]
    errors: list[EASError] = []
    caller_headers = {"X-Trace": "t-1"}
    with caplog.at_level(logging.DEBUG):
        for auth in ("token", "signature"):  # each mode makes every call, on its own server
            with ScriptedServer(replies) as srv:
                client = make_client(
                    srv.url(), TOKEN, auth=auth, headers=caller_headers, timeout=0.2, rand=lambda: 0.0
                )
                assert TOKEN not in repr(client) and TOKEN not in repr(client.config)
                assert client.predict(b"a", headers=caller_headers) == b"fine"
                assert client.predict(b"b") == b"fine"
                for _ in range(2):
                    try:
                        client.predict(b"c")
                    except EASError as exc:
                        errors.append(exc)
            sent = [seen.headers["authorization"] for seen in srv.seen]
            assert len(sent) == 5
            if auth == "signature":
                assert all(value.startswith("EAS ") and TOKEN not in value for value in sent)
                assert len(set(sent)) >= 2  # each attempt signs anew (its own body and Date)
            else:
                assert sent == [TOKEN] * 5
        dead = make_client("http://127.0.0.1:9/api/predict/x", TOKEN, max_retries=1, rand=lambda: 0.0)
        with pytest.raises(EASError) as info:
            dead.predict(b"d")
        errors.append(info.value)
    kinds = ["AuthenticationError", "ReadTimeoutError"]
    assert [type(e).__name__ for e in errors] == [*kinds, *kinds, "ConnectError"]
    for err in errors:
        assert TOKEN not in str(err) and TOKEN not in repr(err) and echo not in getattr(err, "body", b"")
    assert caplog.records, "DEBUG logging produced no records to check"
    assert TOKEN not in caplog.text
    assert caller_headers == {"X-Trace": "t-1"}


# The token lands right where the 200-byte message excerpt and the 512-byte body excerpt are cut.
ECHO_BODY = b"m" * 190 + TOKEN.encode() + b"b" * 300 + TOKEN.encode() + b"e" * 40


def _everything_shown(err: BaseException, client: Any) -> str:
    """Every surface SEC-1/3/4 covers: message, repr, body, headers, id, the chain, tracebacks
    (plain and with locals) and vars() of the client, its config and its transport."""
    try:
        raise err
    except EASError:
        formatted = traceback.format_exc()
    # Locals of the library's frames only: this test's own frames hold the token on purpose.
    tb = traceback.TracebackException.from_exception(err, capture_locals=True)
    ours = [frame for frame in tb.stack if "eas_client" in frame.filename and "tests" not in frame.filename]
    assert ours, "the traceback reaches no library frame to check"
    with_locals = "".join(f"{frame.name} {frame.locals!r}\n" for frame in ours)
    chain: list[str] = []
    link: BaseException | None = err
    while link is not None and len(chain) < 10:
        chain.append(f"{link!r} {vars(link)!r}")
        link = link.__cause__ or link.__context__
    inner = getattr(client, "client", client)
    return "\n".join(
        [
            str(err),
            repr(err),
            getattr(err, "body", b"").decode("utf-8", "replace"),
            repr(getattr(err, "headers", {})),
            str(getattr(err, "request_id", "")),
            formatted,
            with_locals,
            *chain,
            repr(vars(inner)),
            str(vars(inner)),
            repr(vars(inner.config)),
            repr(vars(inner._transport)) if hasattr(inner._transport, "__dict__") else "",
        ]
    )


@pytest.mark.parametrize("auth", ["token", "signature"])
def test_echoed_token_is_masked_on_every_surface(make_client: ClientFactory, auth: str) -> None:
    echo = {"X-Request-Id": TOKEN, "X-Echo": f"token={TOKEN}", "WWW-Authenticate": TOKEN}
    with ScriptedServer([Reply(401, echo, ECHO_BODY)]) as srv:
        client = make_client(srv.url(), TOKEN, auth=auth, max_retries=0)
        with pytest.raises(EASError) as info:
            client.predict(b"x")
    err = info.value
    assert isinstance(err, StatusError)
    sent = srv.seen[0].headers["authorization"]
    shown = _everything_shown(err, client)
    for secret in (TOKEN, TOKEN[:8], TOKEN[-8:], sent):
        assert secret not in shown
    lowered = {k.lower(): v for k, v in err.headers.items()}
    assert err.request_id == "***" and lowered["x-echo"] == "token=***"
    assert err.body.startswith(b"m" * 190 + b"***b") and len(err.body) == 512


@pytest.mark.parametrize("auth", ["token", "signature"])
@pytest.mark.parametrize("failure", ["timeout", "reset", "connect"])
def test_transport_errors_carry_no_engine_request(
    make_client: ClientFactory, auth: str, failure: str
) -> None:
    replies = [Reply(200, delay_ms=400)] if failure == "timeout" else [Reply(reset=True)]
    with ScriptedServer(replies) as srv:
        url = "http://127.0.0.1:9/api/predict/x" if failure == "connect" else srv.url()
        # A long timeout for the others: a loaded machine must not turn a reset into a timeout.
        timeout = 0.2 if failure == "timeout" else 10.0
        client = make_client(url, TOKEN, auth=auth, max_retries=0, timeout=timeout)
        with pytest.raises(EASError) as info:
            client.predict(b"x")
    err = info.value
    kinds = {"timeout": "ReadTimeoutError", "reset": "ReadError", "connect": "ConnectError"}
    assert err.kind == kinds[failure]
    assert err.__cause__ is None and err.__context__ is None
    shown = _everything_shown(err, client)
    assert TOKEN not in shown
    if srv.seen:
        assert srv.seen[0].headers["authorization"] not in shown


@pytest.mark.parametrize("auth", ["token", "signature"])
@pytest.mark.parametrize("end", ["reset", "close", "json"])
def test_stream_errors_show_no_token(make_client: ClientFactory, auth: str, end: str) -> None:
    """SEC-1/3/4 for a stream that fails after its headers (STREAM-10): a break, or a JSON answer
    echoing the token where events were expected."""
    if end == "json":
        reply = Reply(200, {"Content-Type": "application/json"}, ECHO_BODY)
    else:
        sse = {"Content-Type": "text/event-stream"}
        reply = Reply(200, sse, chunks=[(b"data: a\n\n", 0), (b"data: b", 10)], end=end)
    with ScriptedServer([reply]) as srv:
        client = make_client(srv.url(), TOKEN, auth=auth, max_retries=0)
        with pytest.raises(EASError) as info:
            collect_stream(client, b"x", "events", [])
    err = info.value
    assert type(err).__name__ == ("StreamContentTypeError" if end == "json" else "StreamReadError")
    shown = _everything_shown(err, client)
    for secret in (TOKEN, TOKEN[:8], TOKEN[-8:], srv.seen[0].headers["authorization"]):
        assert secret not in shown
