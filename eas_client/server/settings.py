"""Runtime settings, merged from (highest first) command-line flags, ``allspark.default_properties()``,
app.json ``metadata`` (flat ``"rpc.keepalive"`` or nested ``"rpc": {"keepalive": …}``), the
processor's constructor and the EAS defaults."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .allspark import BaseProcessor, Properties

# EAS service defaults (service status codes page): 5 worker threads, a queue of 64 (450 beyond
# it) and 5 s per request (408 beyond it).
DEFAULT_WORKER_THREADS = 5
DEFAULT_QUEUE_SIZE = 64
DEFAULT_KEEPALIVE_MS = 5000
DEFAULT_PORT = 8080
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
    max_date_skew_s: float | None = None
    model_path: str | None = None

    @property
    def service_label(self) -> str:
        return self.service or DEFAULT_SERVICE

    def with_changes(self, **changes: Any) -> RuntimeSettings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_app_json(path: str | Path) -> dict[str, Any]:
    """Read an EAS service description (``name``, ``processor_entry``, ``metadata`` …)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"cannot read app.json {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise SystemExit(f"app.json {path} must hold a JSON object")
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
        raise SystemExit(f"processor endpoint {endpoint!r} must look like 'host:port'") from None
    return (host or "127.0.0.1"), number
