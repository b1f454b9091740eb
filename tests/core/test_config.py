"""Configuration: environment fallbacks and bad arguments (each a ConfigError naming the argument)."""

from __future__ import annotations

import pytest

from eas_client import AsyncEASClient, ConfigError, EASClient, RetryPolicy


def test_endpoint_token_and_service_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EAS_ENDPOINT", "127.0.0.1:9999")
    monkeypatch.setenv("EAS_TOKEN", "env-token")
    monkeypatch.setenv("EAS_SERVICE_NAME", "from-env")
    with EASClient() as client:
        assert client.endpoint == "http://127.0.0.1:9999/api/predict/from-env"
        assert client.config.token == "env-token"


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EAS_ENDPOINT", "http://env-host/api/predict/env")
    monkeypatch.setenv("EAS_TOKEN", "env-token")
    with EASClient("http://arg-host/api/predict/arg", "arg-token") as client:
        assert client.endpoint == "http://arg-host/api/predict/arg"
        assert client.config.token == "arg-token"


def test_an_empty_env_token_means_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EAS_TOKEN", "")
    with EASClient("http://h/api/predict/x") as client:
        assert client.config.token is None


def test_missing_endpoint_names_the_argument_and_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EAS_ENDPOINT", raising=False)
    with pytest.raises(ConfigError, match="endpoint is required.*EAS_ENDPOINT"):
        EASClient()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": -1}, "timeout must be a finite number"),
        ({"timeout": 0}, "timeout must be a finite number"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": "5"}, "timeout must be a number"),
        ({"connect_timeout": -0.5}, "connect_timeout"),
        ({"max_retries": -1}, "max_retries must be an integer >= 0"),
        ({"max_retries": 1.5}, "max_retries"),
        ({"deadline": 0}, "deadline"),
        ({"pool_size": 0}, "pool_size"),
        ({"auth": "bearer"}, "auth must be 'token' or 'signature'"),
        ({"headers": {"X-A": 1}}, "headers must map str to str"),
        ({"headers": {"Bad Name": "v"}}, "invalid header"),
        ({"headers": {"X-A": "v\r\nX-Injected: 1"}}, "invalid header"),
        ({"headers": ["X-A"]}, "headers must be a mapping"),
    ],
)
def test_bad_arguments_are_config_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EASClient("http://h/api/predict/x", "t", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=message):
        AsyncEASClient("http://h/api/predict/x", "t", **kwargs)  # type: ignore[arg-type]


def test_config_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        EASClient("", "t")


def test_retry_policy_validates_its_fields() -> None:
    with pytest.raises(ConfigError, match="retry_errors has unknown kinds"):
        RetryPolicy(retry_errors=frozenset({"dns"}))
    with pytest.raises(ConfigError, match="backoff_base"):
        RetryPolicy(backoff_base=-1)


def test_per_call_timeout_is_validated() -> None:
    with (
        EASClient("http://127.0.0.1:1/api/predict/x", "t") as client,
        pytest.raises(ConfigError, match="timeout"),
    ):
        client.predict(b"x", timeout=-2)


def test_wrong_http_client_type_is_a_config_error() -> None:
    import httpx

    with pytest.raises(ConfigError, match=r"httpx\.Client"):
        EASClient("http://h/api/predict/x", "t", http_client=object())
    with httpx.Client() as sync_client, pytest.raises(ConfigError, match=r"httpx\.AsyncClient"):
        AsyncEASClient("http://h/api/predict/x", "t", http_client=sync_client)


def test_config_is_immutable_and_hides_the_token() -> None:
    client = EASClient("http://h/api/predict/x", "super-secret-token")
    with pytest.raises(AttributeError):
        client.config.token = "other"  # type: ignore[misc]
    assert "super-secret-token" not in repr(client.config)
    assert "super-secret-token" not in repr(client)
    client.close()
