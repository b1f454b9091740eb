"""The httpx engine under respx mocks: exact URL, headers and signature bytes for a fixed clock."""

from __future__ import annotations

import time

import httpx
import pytest
import respx

from eas_client import AsyncEASClient, ConnectError, EASClient, ReadTimeoutError, ServiceUnavailableError

URL = "http://eas.example.com/api/predict/demo"
FIXED_NOW = 1767225600.0  # Thu, 01 Jan 2026 00:00:00 GMT
# Computed independently with `openssl dgst -sha1 -hmac secret-token -binary | base64` over the
# string to sign of the quickstart body; also the auth_hmac.json "quickstart-body" vector.
EXPECTED_AUTH = "EAS SXY4ftvytDp7/Kmtw3tLEQTJr7U="


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: FIXED_NOW)  # the clock a client takes at creation


@respx.mock
def test_signed_request_has_exact_headers(fixed_clock: None) -> None:
    route = respx.post(URL + "/v1", params={"k": "a b"}).mock(
        return_value=httpx.Response(200, content=b"True")
    )
    with httpx.Client() as hc, EASClient(URL, "secret-token", auth="signature", http_client=hc) as client:
        assert client.predict(b"2 105", path="v1", params={"k": "a b"}) == b"True"
    sent = route.calls.last.request
    assert str(sent.url) == URL + "/v1?k=a%20b"
    assert sent.headers["content-md5"] == "5b52018821db40550ad8f3e7f3f4167d"
    assert sent.headers["date"] == "Thu, 01 Jan 2026 00:00:00 GMT"
    assert sent.headers["content-type"] == "application/octet-stream"
    assert sent.headers["authorization"] == _expected_auth("/api/predict/demo/v1")
    assert sent.content == b"2 105"


def _expected_auth(path: str) -> str:
    import base64
    import hashlib
    import hmac

    date = "Thu, 01 Jan 2026 00:00:00 GMT"
    msg = f"POST\n5b52018821db40550ad8f3e7f3f4167d\napplication/octet-stream\n{date}\n{path}"
    return "EAS " + base64.b64encode(hmac.new(b"secret-token", msg.encode(), hashlib.sha1).digest()).decode()


def test_expected_signature_constant_matches_an_independent_computation() -> None:
    assert _expected_auth("/api/predict/demo") == EXPECTED_AUTH


@respx.mock
def test_httpx_connect_error_maps_to_connect_error() -> None:
    respx.post(URL).mock(side_effect=httpx.ConnectError("refused"))
    with httpx.Client() as hc, EASClient(URL, "t", http_client=hc, max_retries=1) as client:
        client._rand = lambda: 0.0
        with pytest.raises(ConnectError) as info:
            client.predict(b"x")
    assert info.value.attempts == 2


@respx.mock
def test_httpx_read_timeout_maps_to_read_timeout_error() -> None:
    respx.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with httpx.Client() as hc, EASClient(URL, "t", http_client=hc) as client, pytest.raises(ReadTimeoutError):
        client.predict(b"x")


@respx.mock
def test_caller_owned_httpx_client_stays_open_after_close() -> None:
    respx.post(URL).mock(return_value=httpx.Response(503))
    hc = httpx.Client()
    client = EASClient(URL, "t", http_client=hc, max_retries=0)
    with pytest.raises(ServiceUnavailableError):
        client.predict(b"x")
    client.close()
    assert not hc.is_closed
    hc.close()


@respx.mock
async def test_async_retries_503_then_succeeds_with_respx() -> None:
    route = respx.post(URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200, content=b"ok")]
    )
    async with httpx.AsyncClient() as hc, AsyncEASClient(URL, "t", http_client=hc) as client:
        client._rand = lambda: 0.0
        assert await client.predict(b"x") == b"ok"
    assert route.call_count == 3
    assert [c.request.headers["authorization"] for c in route.calls] == ["t", "t", "t"]
