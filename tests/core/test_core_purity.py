"""The sans-IO core imports no engine, event loop, socket, clock-sleeping or randomness."""

from __future__ import annotations

import ast
from pathlib import Path

import eas_client
from eas_client._core import config

CORE = Path(eas_client.__file__).parent / "_core"
FORBIDDEN = {
    "httpx",
    "urllib3",
    "aiohttp",
    "asyncio",
    "socket",
    "random",
    "time",
    "threading",
    "tenacity",
    "requests",
}


def test_core_modules_import_nothing_forbidden() -> None:
    offenders = []
    for path in sorted(CORE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_every_default_is_a_named_constant_with_a_reason() -> None:
    source = (CORE / "config.py").read_text().splitlines()
    defaults = [i for i, line in enumerate(source) if line.startswith("DEFAULT_")]
    assert len(defaults) >= 10
    for i in defaults:
        assert source[i - 1].startswith("#") or source[i - 1].startswith("DEFAULT_"), source[i]
    assert config.DEFAULT_RETRY_STATUSES == frozenset({408, 429, 450, 502, 503, 504})


def test_public_api_is_pinned() -> None:
    assert sorted(eas_client.__all__) == sorted(
        [
            "DEFAULT_BACKOFF_BASE_S",
            "DEFAULT_BACKOFF_MAX_S",
            "DEFAULT_CONCURRENCY",
            "DEFAULT_CONNECT_TIMEOUT_S",
            "DEFAULT_MAX_RETRIES",
            "DEFAULT_RETRY_AFTER_CAP_S",
            "DEFAULT_RETRY_ERRORS",
            "DEFAULT_RETRY_STATUSES",
            "DEFAULT_TIMEOUT_S",
            "AdaptiveConcurrency",
            "AsyncEASClient",
            "AuthenticationError",
            "BadGatewayError",
            "BadRequestError",
            "ClientConfig",
            "ConfigError",
            "ConnectError",
            "DeadlineExceededError",
            "DiscoveryError",
            "EASClient",
            "EASError",
            "EASResponse",
            "GatewayTimeoutError",
            "InternalServerError",
            "NotFoundError",
            "PayloadError",
            "PermissionDeniedError",
            "QueueFullError",
            "RateLimitError",
            "ReadError",
            "ReadTimeoutError",
            "RetryBudget",
            "ResponseTooLargeError",
            "RetryPolicy",
            "ServerError",
            "ServerTimeoutError",
            "ServiceUnavailableError",
            "StatusError",
            "TFRequest",
            "TFResponse",
            "TorchRequest",
            "TorchResponse",
            "TransportError",
            "__version__",
        ]
    )
    for name in eas_client.__all__:
        assert hasattr(eas_client, name), name
