"""Run a processor behind one gateway port and, with ``instances > 1``, N instance ports that the
gateway's discovery API lists (for direct-mode clients). All servers share one event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import uvicorn

from .allspark import ENV_MODEL_PATH, BaseProcessor, default_properties
from .faults import FaultSpec
from .gateway import DroppedConnection, Instance
from .processor import ProcessorHost, load_processor
from .settings import RuntimeSettings, load_app_json, resolve

logger = logging.getLogger("eas_client.server")
# Port for `python app.py` when the processor names no endpoint (default 8080, as on EAS's local test).
ENV_SERVE_PORT = "EAS_SERVE_PORT"


class _Server(uvicorn.Server):
    """A uvicorn server that reports readiness through a threading.Event."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self._ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self._ready.set()


class _DropFilter(logging.Filter):
    """Injected connection drops are intended; keep them out of uvicorn's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


class Runtime:
    """The servers of one runtime. ``LocalRuntime`` runs it in a thread; ``eas serve`` in the foreground."""

    def __init__(self, processor: BaseProcessor, settings: RuntimeSettings) -> None:
        self.settings = settings
        self.host = ProcessorHost(processor)
        self._sockets: list[socket.socket] = []
        self._ports: list[int] = []
        self._servers: list[_Server] = []
        self._ready: list[threading.Event] = []
        self._upstreams: list[dict[str, Any]] | None = None
        count = settings.instances if settings.instances > 1 else 0
        self.gateway = Instance("gateway", self.host, settings, self._discovery)
        self.instances = [Instance(f"instance-{i}", self.host, settings) for i in range(count)]
        logging.getLogger("uvicorn.error").addFilter(_DropFilter())

    def bind(self) -> None:
        """Open every listening socket (port 0 picks a free one) before serving starts."""
        ports = [self.settings.port] + [0] * len(self.instances)
        for port in ports:
            family = socket.AF_INET6 if ":" in self.settings.host else socket.AF_INET
            # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the
            # listening socket says so, and without it every response pays a 40 ms delayed ACK.
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.settings.host, port))
            sock.listen(1024)
            self._sockets.append(sock)
        self._ports = [int(sock.getsockname()[1]) for sock in self._sockets]
        # Servers exist before serving starts, so stop() right after start() always reaches them.
        for app in [self.gateway, *self.instances]:
            config = uvicorn.Config(
                app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=30
            )
            ready = threading.Event()
            self._servers.append(_Server(config, ready))
            self._ready.append(ready)

    @property
    def ports(self) -> list[int]:
        """Gateway port first, then the instances' (fixed at bind time: a stopped instance's
        socket is closed, but discovery still lists its port, as EAS may for a dead instance)."""
        return self._ports

    def _discovery(self, service: str) -> list[dict[str, Any]] | None:
        if self.settings.service is not None and service != self.settings.service:
            return None
        if self._upstreams is not None:
            return self._upstreams
        host = "127.0.0.1" if self.settings.host in ("0.0.0.0", "") else self.settings.host
        ports = self.ports[1:] or self.ports[:1]
        return [{"ip": host, "port": p, "weight": 100} for p in ports]

    def set_upstreams(self, items: list[dict[str, Any]] | None) -> None:
        """Override what the discovery API answers (``None`` goes back to the real instances)."""
        self._upstreams = items

    def set_discovery_failure(self, status: int | None, body: bytes = b"discovery unavailable") -> None:
        """Make the discovery API answer ``status`` with ``body`` (``None`` heals it)."""
        self.gateway.discovery_failure = None if status is None else (status, body)

    async def serve(self) -> None:
        self.host.initialize()
        pairs = zip(self._servers, self._sockets, strict=True)
        await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in pairs))
        for app in [self.gateway, *self.instances]:
            app.close()

    def wait_ready(self, timeout: float) -> bool:
        return all(event.wait(timeout) for event in self._ready)

    def stop(self, index: int | None = None) -> None:
        """Stop every server (in-flight requests finish first), or only instance ``index``."""
        servers = self._servers if index is None else [self._servers[index + 1]]
        for server in servers:
            server.should_exit = True


def build_runtime(
    processor: str | Path | type | BaseProcessor,
    *,
    app_json: str | Path | Mapping[str, Any] | None = None,
    **flags: Any,
) -> Runtime:
    """Load the processor, merge the settings and bind the ports."""
    doc = load_app_json(app_json) if isinstance(app_json, (str, Path)) else dict(app_json or {})
    model_path = flags.get("model_path") or doc.get("model_path")
    if model_path and not str(model_path).startswith(("oss://", "http://", "https://")):
        os.environ[ENV_MODEL_PATH] = str(model_path)
    loaded = load_processor(processor)
    settings = resolve(
        RuntimeSettings(), processor=loaded, app_json=doc, props=default_properties(), flags=flags
    )
    runtime = Runtime(loaded, settings)
    runtime.bind()
    return runtime


def serve_processor(processor: BaseProcessor) -> None:
    """``MyProcessor(...).run()`` outside ``eas serve``: serve in the foreground until Ctrl-C,
    with the token and service name from EAS_TOKEN and EAS_SERVICE_NAME, and the port from the
    processor's endpoint, else EAS_SERVE_PORT, else 8080."""
    flags: dict[str, Any] = {
        "token": os.environ.get("EAS_TOKEN") or None,
        "service": os.environ.get("EAS_SERVICE_NAME") or None,
    }
    if os.environ.get(ENV_SERVE_PORT) and not processor.endpoint:
        flags["port"] = int(os.environ[ENV_SERVE_PORT])
    runtime = build_runtime(processor, **flags)
    run_foreground(runtime)


def run_foreground(runtime: Runtime) -> None:
    settings = runtime.settings
    url = f"http://{settings.host}:{runtime.ports[0]}/api/predict/{settings.service_label}"
    print(f"Service start successfully: {url}", flush=True)
    for i, port in enumerate(runtime.ports[1:]):
        print(f"  instance {i}: http://{settings.host}:{port}", flush=True)
    try:
        asyncio.run(runtime.serve())
    except KeyboardInterrupt:
        pass


def apply_faults(instances: list[Instance], spec: FaultSpec) -> None:
    for instance in instances:
        instance.faults.set(spec)
