"""SEC-1/SEC-2 end to end: through successes, retries, failures and direct mode, the token shows up
in no log record of any logger at any level, no repr and no error text, and caller dicts stay as given."""

from __future__ import annotations

import logging

import pytest

from eas_client import EASError

from ..conftest import ClientFactory
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
    with caplog.at_level(logging.DEBUG), ScriptedServer(replies) as srv:
        for auth in ("token", "signature"):
            client = make_client(
                srv.url(), TOKEN, auth=auth, headers=caller_headers, timeout=0.2, rand=lambda: 0.0
            )
            assert TOKEN not in repr(client) and TOKEN not in repr(client.config)
            if auth == "token":
                assert client.predict(b"a", headers=caller_headers) == b"fine"
                assert client.predict(b"b") == b"fine"
                for _ in range(2):
                    try:
                        client.predict(b"c")
                    except EASError as exc:
                        errors.append(exc)
        dead = make_client("http://127.0.0.1:9/api/predict/x", TOKEN, max_retries=1, rand=lambda: 0.0)
        with pytest.raises(EASError) as info:
            dead.predict(b"d")
        errors.append(info.value)
    assert [type(e).__name__ for e in errors] == ["AuthenticationError", "ReadTimeoutError", "ConnectError"]
    for err in errors:
        assert TOKEN not in str(err) and TOKEN not in repr(err) and echo not in getattr(err, "body", b"")
    assert caplog.records, "DEBUG logging produced no records to check"
    assert TOKEN not in caplog.text
    assert caller_headers == {"X-Trace": "t-1"}
