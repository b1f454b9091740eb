"""eas-client: fast, typed client SDK for PAI-EAS model services.

Example::

    from eas_client import EASClient

    client = EASClient("http://127.0.0.1:8080/api/predict/demo", token="secret")
    client.predict(b"2 105")  # b"True"
"""

from ._base_client import EASResponse
from ._core.adaptive import AdaptiveConcurrency
from ._core.budget import RetryBudget
from ._core.config import (
    DEFAULT_BACKOFF_BASE_S,
    DEFAULT_BACKOFF_MAX_S,
    DEFAULT_CONCURRENCY,
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_AFTER_CAP_S,
    DEFAULT_RETRY_ERRORS,
    DEFAULT_RETRY_STATUSES,
    DEFAULT_TIMEOUT_S,
    ClientConfig,
    RetryPolicy,
)
from ._core.errors import (
    AuthenticationError,
    BadGatewayError,
    BadRequestError,
    ConfigError,
    ConnectError,
    DeadlineExceededError,
    DiscoveryError,
    EASError,
    GatewayTimeoutError,
    InternalServerError,
    NotFoundError,
    PayloadError,
    PermissionDeniedError,
    QueueFullError,
    RateLimitError,
    ReadError,
    ReadTimeoutError,
    ResponseTooLargeError,
    ServerError,
    ServerTimeoutError,
    ServiceUnavailableError,
    StatusError,
    TransportError,
)
from ._version import __version__
from .aio import AsyncEASClient
from .client import EASClient
from .payloads import TFRequest, TFResponse, TorchRequest, TorchResponse

__all__ = [
    "DEFAULT_BACKOFF_BASE_S",
    "DEFAULT_BACKOFF_MAX_S",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_CONNECT_TIMEOUT_S",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RETRY_AFTER_CAP_S",
    "DEFAULT_RETRY_ERRORS",
    "DEFAULT_RETRY_STATUSES",
    "DEFAULT_TIMEOUT_S",
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
    "ResponseTooLargeError",
    "RetryPolicy",
    "RetryBudget",
    "AdaptiveConcurrency",
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
