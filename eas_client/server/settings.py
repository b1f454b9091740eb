"""Runtime settings, merged from (highest first) command-line flags, ``allspark.default_properties()``,
app.json ``metadata`` (flat ``"rpc.keepalive"`` or nested ``"rpc": {"keepalive": …}``), the
processor's constructor and the EAS defaults."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .allspark import BaseProcessor, Properties
from .errors import ServeError

# EAS service defaults (service status codes page): 5 worker threads, a queue of 64 (450 beyond
# it) and 5 s per request (408 beyond it).
DEFAULT_WORKER_THREADS = 5
DEFAULT_QUEUE_SIZE = 64
DEFAULT_KEEPALIVE_MS = 5000
DEFAULT_PORT = 8080
# Signed calls whose Date is further off than this are refused (EAS documents no tolerance; 15 minutes
# is the common one for HMAC-signed HTTP APIs and leaves room for clocks that drift).
DEFAULT_MAX_DATE_SKEW_S = 900.0
# Bodies above this are refused with 413 before they are read: room for real tensor batches, while
# a stray or hostile upload cannot take the process's memory.
DEFAULT_MAX_BODY = 64 * 1024 * 1024
# Per port. Each connection costs a file descriptor; the limit keeps the process away from its fd
# limit (usually 1024), where accept() fails and even real calls time out.
DEFAULT_MAX_CONNECTIONS = 256
DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_BODY_TIMEOUT_S = 30.0
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
# On stop (Ctrl-C), calls in flight get this long; a process() that hangs past it is abandoned.
DEFAULT_SHUTDOWN_GRACE_S = 10.0
# Asynchronous services (--async): an item delivered and not committed is delivered again after this.
DEFAULT_QUEUE_LEASE_S = 60.0
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# Shown in URLs when no service name is configured; such a runtime answers any service name,
# as the EAS local test accepted any path.
DEFAULT_SERVICE = "default"
RPC_KEYS = ("keepalive", "worker_threads", "max_queue_size")


@dataclass(frozen=True)
class RuntimeSettings:
    """How the local runtime serves a processor. ``token=None`` accepts every call;
    ``service=None`` accepts every service name."""

    service: str | None = None
    token: str | None = field(default=None, repr=False)
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    worker_threads: int = DEFAULT_WORKER_THREADS
    queue_size: int = DEFAULT_QUEUE_SIZE
    keepalive_ms: int = DEFAULT_KEEPALIVE_MS
    instances: int = 1
    max_date_skew_s: float = DEFAULT_MAX_DATE_SKEW_S
    model_path: str | None = None
    admin_token: str | None = field(default=None, repr=False)
    max_body: int = DEFAULT_MAX_BODY
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    advertise_host: str | None = None
    shutdown_grace_s: float = DEFAULT_SHUTDOWN_GRACE_S
    # Asynchronous inference (eas_client/server/queue): queues instead of direct calls.
    async_mode: bool = False
    queue_store: str | None = None
    queue_lease_s: float = DEFAULT_QUEUE_LEASE_S

    @property
    def service_label(self) -> str:
        return self.service or DEFAULT_SERVICE

    @property
    def admin_credential(self) -> str | None:
        """What ``/_admin/*`` requires in ``Authorization``: the admin token, else the service token."""
        return self.admin_token or self.token

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def admin_enabled(self) -> bool:
        """Off when reachable from other machines without a credential: whoever can change the
        upstream list can send direct-mode clients, and their tokens, to a server of their choice."""
        return self.admin_credential is not None or self.loopback

    def with_changes(self, **changes: Any) -> RuntimeSettings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def is_loopback(host: str) -> bool:
    """``127.0.0.1``, ``::1``, ``localhost`` and the rest of 127.0.0.0/8."""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_app_json(path: str | Path) -> dict[str, Any]:
    """Read an EAS service description (``name``, ``processor_entry``, ``metadata`` …)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ServeError(f"cannot read app.json {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise ServeError(f"app.json {path} must hold a JSON object")
    return doc


def rpc_from_metadata(metadata: Mapping[str, Any]) -> dict[str, int]:
    """``rpc.*`` values from app.json metadata, flat or nested (nested wins when both are there)."""
    out: dict[str, int] = {}
    nested = metadata.get("rpc")
    for key in RPC_KEYS:
        if f"rpc.{key}" in metadata:
            out[key] = int(metadata[f"rpc.{key}"])
        if isinstance(nested, Mapping) and key in nested:
            out[key] = int(nested[key])
    return out


def rpc_from_properties(props: Properties) -> dict[str, int]:
    values = props.items()
    return {key: int(values[f"rpc.{key}"]) for key in RPC_KEYS if f"rpc.{key}" in values}


def resolve(
    base: RuntimeSettings,
    *,
    processor: BaseProcessor | None,
    app_json: Mapping[str, Any] | None,
    props: Properties,
    flags: Mapping[str, Any],
) -> RuntimeSettings:
    """Merge every source into one RuntimeSettings (flags override, then properties, then app.json)."""
    settings = base
    if processor is not None:
        settings = settings.with_changes(worker_threads=processor.worker_threads)
        if processor.endpoint:
            host, port = parse_listen(processor.endpoint)
            settings = settings.with_changes(host=host, port=port)
    if app_json:
        settings = settings.with_changes(service=app_json.get("name"), model_path=app_json.get("model_path"))
        settings = _apply_rpc(settings, rpc_from_metadata(app_json.get("metadata") or {}))
    settings = _apply_rpc(settings, rpc_from_properties(props))
    return settings.with_changes(**flags)


def _apply_rpc(settings: RuntimeSettings, rpc: Mapping[str, int]) -> RuntimeSettings:
    return settings.with_changes(
        keepalive_ms=rpc.get("keepalive"),
        worker_threads=rpc.get("worker_threads"),
        queue_size=rpc.get("max_queue_size"),
    )


def parse_listen(endpoint: str) -> tuple[str, int]:
    """``"0.0.0.0:8000"``, ``"0.0.0.0:8000/"`` or ``"8000"`` → (host, port)."""
    text = endpoint.strip().rstrip("/")
    if "://" in text:
        text = text.split("://", 1)[1]
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise ServeError(f"processor endpoint {endpoint!r} must look like 'host:port'") from None
    return (host or "127.0.0.1"), number
