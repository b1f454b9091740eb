"""The public surface, pinned: a change here is a change for every caller (and for the ports that
follow this client), so it shows up in review as an edit to this file and a CHANGELOG entry."""

from __future__ import annotations

import inspect

import eas_client

PUBLIC_NAMES = [
    "AdaptiveConcurrency", "AsyncEASClient", "AuthenticationError", "BadGatewayError", "BadRequestError",
    "ClientConfig", "ConfigError", "ConnectError", "DEFAULT_BACKOFF_BASE_S", "DEFAULT_BACKOFF_MAX_S",
    "DEFAULT_CONCURRENCY", "DEFAULT_CONNECT_TIMEOUT_S", "DEFAULT_MAX_RETRIES", "DEFAULT_RETRY_AFTER_CAP_S",
    "DEFAULT_RETRY_ERRORS", "DEFAULT_RETRY_STATUSES", "DEFAULT_TIMEOUT_S", "DeadlineExceededError",
    "DiscoveryError", "EASClient", "EASError", "EASResponse", "GatewayTimeoutError", "InternalServerError",
    "NotFoundError", "PayloadError", "PermissionDeniedError", "QueueFullError", "RateLimitError", "ReadError",
    "ReadTimeoutError", "ResponseTooLargeError", "RetryBudget", "RetryPolicy", "ServerError",
    "ServerTimeoutError", "ServiceUnavailableError", "StatusError", "TFRequest", "TFResponse", "TorchRequest",
    "TorchResponse", "TransportError", "__version__",
]  # fmt: skip

CONSTRUCTOR = [
    ("endpoint", None), ("token", None), ("service_name", None), ("auth", "token"), ("timeout", 30.0),
    ("connect_timeout", 5.0), ("max_retries", None), ("deadline", None), ("retry", None), ("headers", None),
    ("pool_size", 16), ("http_client", None), ("engine", None), ("endpoint_type", "gateway"),
    ("discovery_refresh", 3.0), ("eject_for", 5.0), ("max_response_bytes", 256 * 1024 * 1024),
    ("retry_budget", eas_client.RetryBudget()),
]  # fmt: skip

METHODS = [
    "close", "config", "endpoint", "predict", "predict_many", "request", "retry_budget_denied",
    "with_options",
]  # fmt: skip


def test_the_package_exports_exactly_these_names() -> None:
    assert sorted(eas_client.__all__) == PUBLIC_NAMES
    assert all(hasattr(eas_client, name) for name in PUBLIC_NAMES)


def test_both_twins_take_the_same_typed_keywords() -> None:
    for cls in (eas_client.EASClient, eas_client.AsyncEASClient):
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        assert [(p.name, p.default) for p in params] == CONSTRUCTOR
        assert all(p.kind is p.KEYWORD_ONLY for p in params[2:])
        assert all(p.annotation is not inspect.Parameter.empty for p in params)


def test_both_twins_have_the_same_public_methods() -> None:
    for cls in (eas_client.EASClient, eas_client.AsyncEASClient):
        assert [m for m in dir(cls) if not m.startswith("_")] == METHODS


def test_every_error_is_an_eas_error() -> None:
    errors = [getattr(eas_client, n) for n in PUBLIC_NAMES if n.endswith("Error")]
    assert all(issubclass(e, eas_client.EASError) for e in errors)
