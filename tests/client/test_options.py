"""The typed constructor and with_options: every option reaches the copy, and the copy shares the
connection pool exactly when the options that shape the engine are unchanged."""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from eas_client import AsyncEASClient, ConfigError, EASClient, RetryBudget, RetryPolicy
from eas_client._base_client import _OPTION_NAMES, TRANSPORT_OPTIONS, BaseClient, ClientOptions, OptionChanges
from eas_client._transports.httpclient_engine import HTTPClientTransport
from eas_client._transports.httpx_engine import HttpxTransport
from eas_client._transports.urllib3_engine import Urllib3Transport

from ..scripted_server import Reply, ScriptedServer

URL = "http://127.0.0.1:1/api/predict/demo"
TOKEN = "tok-123456789"

# option -> (new value, how to read it back from the copy)
CHANGES: dict[str, tuple[Any, Any]] = {
    "endpoint": ("http://127.0.0.1:2/api/predict/other", lambda c: c.endpoint),
    "token": ("other-token-1", lambda c: c.config.token),
    "service_name": ("svc", lambda c: c.config.endpoint.service),
    "auth": ("signature", lambda c: c.config.auth),
    "timeout": (2.5, lambda c: c.config.timeout),
    "connect_timeout": (1.5, lambda c: c.config.connect_timeout),
    "max_retries": (0, lambda c: c.config.retry.max_retries),
    "deadline": (9.0, lambda c: c.config.retry.deadline),
    "retry": (RetryPolicy(backoff_base=0.5), lambda c: c.config.retry.backoff_base),
    "headers": ({"X-Mode": "quick"}, lambda c: dict(c.config.headers)),
    "pool_size": (3, lambda c: c._options.pool_size),
    "engine": ("urllib3", lambda c: type(c._transport).__name__),
    "endpoint_type": ("direct", lambda c: c.config.endpoint_type),
    "discovery_refresh": (7.0, lambda c: c.config.discovery_refresh),
    "eject_for": (8.0, lambda c: c.config.eject_for),
    "max_response_bytes": (99, lambda c: c.config.max_response_bytes),
    "retry_budget": (RetryBudget(ratio=0.5), lambda c: c._options.retry_budget),
}
EXPECTED = {
    "endpoint": "http://127.0.0.1:2/api/predict/other",
    "retry": 0.5,
    "engine": "Urllib3Transport",
}


def test_every_constructor_option_has_a_with_options_case() -> None:
    names = {f for f in ClientOptions.__dataclass_fields__} | {"max_retries", "deadline"}
    assert names == set(CHANGES) | {"http_client"}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_with_options_changes_one_option(name: str) -> None:
    value, read = CHANGES[name]
    host_form = name in ("service_name", "endpoint_type")  # a bare host names the service apart
    url = "http://127.0.0.1:1" if host_form else URL
    with EASClient(url, TOKEN, service_name="demo" if host_form else None) as client:
        copy = client.with_options(**{name: value})
        try:
            assert read(copy) == EXPECTED.get(name, value)
            assert (copy._transport is client._transport) is (name not in TRANSPORT_OPTIONS)
            assert copy._owns_transport is (name in TRANSPORT_OPTIONS)
            others = {k for k in CHANGES if k not in (name, "max_retries", "deadline", "retry")}
            for other in others:  # nothing else moved
                assert getattr(copy._options, other) == getattr(client._options, other), other
        finally:
            copy.close()


def test_with_options_engine_switches_the_engine_for_real_calls() -> None:
    with ScriptedServer(default=Reply(200, body=b"ok")) as srv, EASClient(srv.url(), TOKEN) as client:
        assert isinstance(client._transport, HTTPClientTransport)
        with client.with_options(engine="urllib3") as copy:
            assert isinstance(copy._transport, Urllib3Transport)
            assert copy.predict(b"x") == b"ok"
        assert client.predict(b"y") == b"ok"  # the copy closed only its own pool
    assert len(srv.seen) == 2


def test_with_options_http_client_takes_the_new_client() -> None:
    with httpx.Client() as hc, EASClient(URL, TOKEN) as client:
        copy = client.with_options(http_client=hc)
        assert isinstance(copy._transport, HttpxTransport) and copy._owns_transport
        copy.close()


def test_with_options_keeps_max_retries_over_a_new_policy_when_both_given() -> None:
    with EASClient(URL, TOKEN, max_retries=1) as client:
        copy = client.with_options(retry=RetryPolicy(backoff_base=0.2), max_retries=5)
        assert (copy.config.retry.max_retries, copy.config.retry.backoff_base) == (5, 0.2)
        assert client.config.retry.max_retries == 1


def test_with_options_rejects_unknown_names_with_the_list() -> None:
    with EASClient(URL, TOKEN) as client, pytest.raises(TypeError, match="timout.*use auth, connect_timeout"):
        client.with_options(timout=1.0)  # type: ignore[call-arg]


def test_with_options_validates_like_the_constructor() -> None:
    with EASClient(URL, TOKEN) as client, pytest.raises(ConfigError, match="timeout must be a number"):
        client.with_options(timeout="3")  # type: ignore[arg-type]


def test_with_options_does_not_keep_the_callers_header_dict() -> None:
    mine = {"X-A": "1"}
    with EASClient(URL, TOKEN) as client:
        copy = client.with_options(headers=mine)
        mine["X-A"] = "2"
        assert dict(copy.config.headers) == {"X-A": "1"}


def test_async_with_options_engine_change_opens_its_own_session() -> None:
    async def main() -> None:
        async with AsyncEASClient(URL, TOKEN) as client:
            copy = client.with_options(pool_size=2)
            assert copy._transport is not client._transport and copy._owns_transport
            await copy.close()
            same = client.with_options(timeout=1.0)
            assert same._transport is client._transport and not same._owns_transport

    asyncio.run(main())


def test_with_options_takes_exactly_the_constructors_keywords() -> None:
    # OptionChanges types with_options for mypy; it must neither miss nor invent an option.
    params = inspect.signature(BaseClient.__init__).parameters
    assert set(OptionChanges.__annotations__) == set(params) - {"self"} == _OPTION_NAMES


def test_mypy_strict_catches_a_misspelt_option_and_a_wrong_type(tmp_path: Path) -> None:
    snippet = tmp_path / "use_client.py"
    snippet.write_text(
        textwrap.dedent(
            """
            from eas_client import AsyncEASClient, EASClient

            EASClient("http://h/api/predict/x", timout=3.0)
            EASClient("http://h/api/predict/x", max_retries="3")
            AsyncEASClient("http://h/api/predict/x", auth="tokn")
            EASClient("http://h/api/predict/x", timeout=3.0, max_retries=3, auth="signature")
            quick = EASClient("http://h/api/predict/x").with_options(timout=1.0)
            AsyncEASClient("http://h/api/predict/x").with_options(max_retries="0")
            fine: EASClient = EASClient("http://h/api/predict/x").with_options(timeout=1.0, engine="urllib3")
            """
        )
    )
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "MYPY_CACHE_DIR": str(tmp_path / "cache"), "MYPYPATH": str(repo)}
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", snippet.name],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    errors = [
        line for line in out.stdout.splitlines() if line.startswith("use_client.py") and ": error:" in line
    ]
    assert len(errors) == 5, out.stdout
    assert 'Unexpected keyword argument "timout"' in errors[0]
    assert '"max_retries"' in errors[1] and '"str"' in errors[1]
    assert '"auth"' in errors[2]
    assert 'Unexpected keyword argument "timout" for "with_options"' in errors[3]
    assert '"max_retries" to "with_options"' in errors[4] and '"str"' in errors[4]
