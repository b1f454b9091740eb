"""_core/endpoint: parsing the service URL and building each request's path and query (URL-*).
The cross-language cases are in spec/vectors/endpoint.json (tests/spec); here are the main shapes,
and a bounded fuzz of the parser (any input gives an endpoint or a ConfigError)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eas_client import ConfigError
from eas_client._core import endpoint

FUZZ = settings(max_examples=400, deadline=None, database=None)


@FUZZ
@given(st.text(max_size=80), st.one_of(st.none(), st.text(max_size=20)))
def test_endpoint_parser_returns_an_endpoint_or_config_error(raw: str, service: str | None) -> None:
    try:
        ep = endpoint.parse_endpoint(raw, service)
    except ConfigError:
        return
    assert ep.scheme in ("http", "https") and ep.netloc
    endpoint.build_url(ep, None, None)


def test_a_service_url_names_its_service() -> None:
    ep = endpoint.parse_endpoint("HTTPS://h.example:8443/api/predict/demo/")
    assert (ep.scheme, ep.netloc, ep.base_path, ep.service) == (
        "https",
        "h.example:8443",
        "/api/predict/demo",
        "demo",
    )
    assert ep.url == "https://h.example:8443/api/predict/demo" and ep.origin == "https://h.example:8443"


def test_a_bare_host_takes_the_service_name_and_http() -> None:
    ep = endpoint.parse_endpoint("10.0.0.1:8080", "demo")
    assert ep.url == "http://10.0.0.1:8080/api/predict/demo"
    assert endpoint.parse_endpoint("h/api/predict/grp/sub").discovery_service == "grp"


@pytest.mark.parametrize(
    ("raw", "service", "words"),
    [
        (None, None, "EAS_ENDPOINT"),
        ("ftp://h/api/predict/x", None, "use http:// or https://"),
        ("http://u:p@h/api/predict/x", None, "credentials"),
        ("http://h", None, "service_name"),
        ("http://h/api/predict/a", "b", "pass only one"),
        ("http://h:99999/api/predict/a", None, "invalid port"),
        ("http://h/api/predict/a\x7f", None, "control or non-ASCII"),
    ],
)
def test_a_bad_endpoint_is_a_config_error_naming_the_fix(
    raw: object, service: str | None, words: str
) -> None:
    with pytest.raises(ConfigError, match=words):
        endpoint.parse_endpoint(raw, service)


def test_path_and_params_are_encoded_after_the_endpoints_own_query() -> None:
    ep = endpoint.parse_endpoint("http://h/api/predict/demo?v=1")
    assert endpoint.build_url(ep, "a b", {"k": "x&y", "flag": True, "bare": None}) == (
        "http://h/api/predict/demo/a%20b?v=1&k=x%26y&flag=true&bare"
    )
    assert endpoint.build_query(ep, [("n", 2)]) == "v=1&n=2"
    with pytest.raises(ConfigError, match="params="):
        endpoint.build_path(ep, "x?y=1")
    with pytest.raises(ConfigError, match="unsupported type"):
        endpoint.build_query(ep, {"k": [1]})  # type: ignore[dict-item]


def test_service_names_are_trimmed_and_checked() -> None:
    assert endpoint.check_service_name(" /demo/ ") == "demo"
    for bad in ("", "a b", "a?b", "dé"):
        with pytest.raises(ConfigError):
            endpoint.check_service_name(bad)
