"""Run a processor behind one gateway port and, with ``instances > 1``, N instance ports that the
gateway's discovery API lists (for direct-mode clients). All servers share one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import math
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeGuard

import uvicorn

from .allspark import BaseProcessor, default_properties, model_path_in_use
from .connections import ACCEPT_FILTER, IDLE_TIMEOUT_S, connection_budget, guarded_protocol
from .errors import ServeError
from .faults import FaultSpec
from .forward import AsgiBackend, Backend, UpstreamBackend, is_asgi_target, load_asgi_app
from .gateway import ADMIN_ROUTES, DroppedConnection, ServiceApp
from .processor import ProcessorHost, load_processor
from .settings import RuntimeSettings, load_app_json, resolve

logger = logging.getLogger("eas_client.server")


class _Server(uvicorn.Server):
    """A uvicorn server that reports readiness and its end through threading.Events."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self._ready = ready
        self.stopped = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)
        self._ready.set()

    async def main_loop(self) -> None:
        # uvicorn's loop polls should_exit every 0.1 s; waking it makes stop() take half as long,
        # which adds up over the hundreds of runtimes a test run starts and stops.
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            assert self._wake is not None
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    def request_exit(self) -> None:
        """Set should_exit from any thread and wake the main loop at once."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(wake.set)

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().serve(sockets)
        finally:
            self.stopped.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The Runtime handles Ctrl-C once for all its servers (see Runtime.serve); uvicorn's own
        # handler would reach only the server that installed it last.
        yield

    def force(self) -> None:
        """Stop waiting for calls in flight (a second Ctrl-C)."""
        self.force_exit = True
        self.request_exit()


class _DropFilter(logging.Filter):
    """Injected connection drops are intended; keep them out of uvicorn's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


# One shared instance: addFilter() ignores a filter already present, so runtimes do not pile them up.
_DROP_FILTER = _DropFilter()


class Runtime:
    """The servers of one runtime. ``LocalRuntime`` runs it in a thread; ``eas serve`` in the foreground."""

    def __init__(
        self, processor: BaseProcessor | None, settings: RuntimeSettings, backend: Backend | None = None
    ) -> None:
        if (processor is None) == (backend is None):
            raise ValueError("a runtime serves a processor or a backend (upstream server, ASGI app)")
        self.settings = settings
        self.host = ProcessorHost(processor) if processor is not None else None
        self.backend = backend
        self._sockets: list[socket.socket] = []
        self._ports: list[int] = []
        self._servers: list[_Server] = []
        self._ready: list[threading.Event] = []
        self._upstreams: list[dict[str, Any]] | None = None
        self._stopping = False
        count = settings.instances if settings.instances > 1 else 0
        self.gateway = ServiceApp("gateway", self.host, settings, self._discovery, backend)
        self.instances = [
            ServiceApp(f"instance-{i}", self.host, settings, backend=backend) for i in range(count)
        ]
        self.gateway.control = self._control
        self.queue = _async_app(self.gateway, settings)
        logging.getLogger("uvicorn.error").addFilter(_DROP_FILTER)
        logging.getLogger("asyncio").addFilter(ACCEPT_FILTER)

    def bind(self) -> None:
        """Open every listening socket (port 0 picks a free one) before serving starts."""
        ports = [self.settings.port] + [0] * len(self.instances)
        for port in ports:
            family = socket.AF_INET6 if ":" in self.settings.host else socket.AF_INET
            # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the
            # listening socket says so, and without it every response pays a 40 ms delayed ACK.
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.settings.host, port))
            except OSError as exc:
                sock.close()
                for opened in self._sockets:
                    opened.close()
                self._sockets.clear()
                if exc.errno != errno.EADDRINUSE:
                    raise
                # One line a newcomer can act on, not an OSError traceback.
                raise ServeError(
                    f"port {port} on {self.settings.host} is already in use (another eas serve or "
                    f"python app.py?); stop it, or pick another port: --port N or EAS_SERVE_PORT=N"
                ) from None
            sock.listen(1024)
            self._sockets.append(sock)
        self._ports = [int(sock.getsockname()[1]) for sock in self._sockets]
        # Servers exist before serving starts, so stop() right after start() always reaches them.
        for app in [self.queue or self.gateway, *self.instances]:
            config = uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=math.ceil(self.settings.shutdown_grace_s),
                timeout_keep_alive=IDLE_TIMEOUT_S,
                http=guarded_protocol(self.settings, connection_budget(len(ports))),
                # Queue watchers (--async): a slow consumer answers pings late, so never drop it
                # for that; no compression extension, as the official clients expect none.
                ws_ping_timeout=None,
                ws_per_message_deflate=False,
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
        host = self.settings.advertise_host or _reachable(self.settings.host)
        ports = self.ports[1:] or self.ports[:1]
        return [{"ip": host, "port": p, "weight": 100} for p in ports]

    def set_upstreams(self, items: list[dict[str, Any]] | None) -> None:
        """Override what the discovery API answers (``None`` goes back to the real instances)."""
        self._upstreams = items

    def set_discovery_failure(self, status: int | None, body: bytes = b"discovery unavailable") -> None:
        """Make the discovery API answer ``status`` with ``body`` (``None`` heals it)."""
        self.gateway.discovery_failure = None if status is None else (status, body)

    def _control(self, path: str, body: bytes) -> tuple[int, bytes]:
        """The gateway's runtime-wide admin API; see docs/local-runtime.md."""
        try:
            doc = json.loads(body or b"null")
            if path == "/_admin/upstreams":
                self.set_upstreams(_upstream_items(doc))
                return 200, json.dumps(self._discovery(self.settings.service_label)).encode()
            if path == "/_admin/discovery-failure":
                status, text = _discovery_failure(doc)
                self.set_discovery_failure(status, text.encode())
                return 200, json.dumps({"status": status}).encode()
            parts = path.split("/")  # "", "_admin", "instances", "<i>", "stop"
            if len(parts) == 5 and parts[2] == "instances" and parts[4] == "stop":
                index = int(parts[3])
                if not 0 <= index < len(self.instances):
                    raise IndexError(f"instance {index} does not exist ({len(self.instances)} instances)")
                self.stop(index)
                return 200, json.dumps({"stopped": index}).encode()
        except (ValueError, TypeError, AttributeError, IndexError, KeyError, RecursionError) as exc:
            return 400, f"bad admin request: {exc}".encode()
        return 404, ADMIN_ROUTES

    async def serve(self, handle_signals: bool = False) -> None:
        """Serve until stop(). With ``handle_signals`` (the foreground, main thread), Ctrl-C or
        SIGTERM stops serving: calls in flight get ``shutdown_grace_s``; a second Ctrl-C quits now."""
        if handle_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self._on_signal)
        try:
            with model_path_in_use(local_model_path(self.settings.model_path)):
                if self.host is not None:
                    self.host.initialize()
                if self.backend is not None:
                    await self.backend.start()
                if self.queue is not None:
                    self.queue.start()
                pairs = zip(self._servers, self._sockets, strict=True)
                await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in pairs))
        finally:
            if self.backend is not None:
                await self.backend.close()
            # Also when initialize() raised: nothing may outlive the runtime (no socket, no thread).
            if self.queue is not None:
                await self.queue.stop()
            for app in [self.gateway, *self.instances]:
                app.close()
            for sock in self._sockets:
                sock.close()

    def _on_signal(self) -> None:
        if self._stopping:
            print("eas serve: quitting without waiting for calls in flight", file=sys.stderr, flush=True)
            for server in self._servers:
                server.force()
            return
        self._stopping = True
        grace = self.settings.shutdown_grace_s
        print(
            f"eas serve: shutting down; calls in flight get {grace:g} s (Ctrl-C again to quit now)",
            file=sys.stderr,
            flush=True,
        )
        self.stop()

    def wait_ready(self, timeout: float) -> bool:
        return all(event.wait(timeout) for event in self._ready)

    def wait_stopped(self, index: int, timeout: float) -> bool:
        """Wait until instance ``index`` has closed its port and answered its in-flight calls."""
        return self._servers[index + 1].stopped.wait(timeout)

    def stop(self, index: int | None = None) -> None:
        """Stop every server (in-flight requests finish first), or only instance ``index``."""
        servers = self._servers if index is None else [self._servers[index + 1]]
        for server in servers:
            server.request_exit()


def _async_app(gateway: ServiceApp, settings: RuntimeSettings) -> Any:
    """The queue front of an asynchronous service (``--async``), else None."""
    if not settings.async_mode:
        return None
    from .queue.app import AsyncServiceApp

    return AsyncServiceApp(
        gateway, name=settings.service_label, store=settings.queue_store, lease_s=settings.queue_lease_s
    )


def _upstream_items(doc: Any) -> list[dict[str, Any]] | None:
    """``null`` (back to the real instances) or a list of ``{"ip", "port", "weight"}``."""
    if doc is None:
        return None
    if not isinstance(doc, list) or not all(isinstance(item, dict) for item in doc):
        raise ValueError('send a JSON list of {"ip", "port", "weight"} objects, or null')
    return [_upstream_item(item) for item in doc]


def _upstream_item(item: dict[str, Any]) -> dict[str, Any]:
    ip, port, weight = item.get("ip"), item.get("port"), item.get("weight", 100)
    if not isinstance(ip, str) or not ip or any(c.isspace() or not c.isprintable() for c in ip):
        raise ValueError(f"upstream ip must be a non-empty string without spaces, got {ip!r}")
    if not _is_int(port) or not 1 <= port <= 65535:
        raise ValueError(f"upstream port must be an integer 1-65535, got {port!r}")
    if not _is_int(weight) or not 0 <= weight <= 1_000_000:
        raise ValueError(f"upstream weight must be an integer 0-1000000, got {weight!r}")
    return {"ip": ip, "port": port, "weight": weight}


def _discovery_failure(doc: Any) -> tuple[int | None, str]:
    """``{"status": 503, "body": "…"}`` → (status, body); ``{}`` or ``{"status": null}`` heals."""
    if not isinstance(doc, dict):
        raise ValueError('send a JSON object such as {"status": 503, "body": "…"}, or {} to heal')
    status, body = doc.get("status"), doc.get("body", "discovery unavailable")
    if status is not None and (not _is_int(status) or not 200 <= status <= 599):
        raise ValueError(f"status must be an integer 200-599 or null, got {status!r}")
    if not isinstance(body, str):
        raise ValueError(f"body must be a string, got {type(body).__name__}")
    return status, body


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def build_runtime(
    processor: str | Path | type | BaseProcessor | Callable[..., Any] | None = None,
    *,
    app_json: str | Path | Mapping[str, Any] | None = None,
    upstream: str | None = None,
    **flags: Any,
) -> Runtime:
    """Load the processor (or the ASGI app, or the upstream server to forward to), merge the
    settings and bind the ports (serving starts with ``serve()``).

    ``processor`` is a processor file, class or instance, or an ASGI app (an object, or
    ``"module:attribute"``); ``upstream`` (``"http://127.0.0.1:8000"``) instead forwards every
    ``/api/predict/<service>/<path>`` call to that server.

    Example::

        runtime = build_runtime("app.py", app_json="app.json", port=0, token="T", instances=3)
        print(runtime.ports)  # gateway port first, then the instances'
        asyncio.run(runtime.serve())  # until runtime.stop() from another thread
    """
    doc = load_app_json(app_json) if isinstance(app_json, (str, Path)) else dict(app_json or {})
    backend = _backend(processor, upstream)
    loaded = None
    if backend is None:
        assert isinstance(processor, (str, Path, type, BaseProcessor))
        with model_path_in_use(local_model_path(flags.get("model_path") or doc.get("model_path"))):
            loaded = load_processor(processor)  # a file may ask for its model path while it loads
    settings = resolve(
        RuntimeSettings(), processor=loaded, app_json=doc, props=default_properties(), flags=flags
    )
    runtime = Runtime(loaded, settings, backend)
    runtime.bind()
    return runtime


def _backend(source: object, upstream: str | None) -> Backend | None:
    if upstream is not None:
        if source is not None:
            raise ServeError("serve a processor or an app, or forward to --upstream, not both")
        return UpstreamBackend(upstream)
    if source is None:
        raise ServeError(
            "nothing to serve: pass a processor file, an ASGI app (module:app) or --upstream URL"
        )
    if is_asgi_target(source):
        return AsgiBackend(load_asgi_app(str(source)), str(source))
    if callable(source) and not isinstance(source, (type, BaseProcessor)):
        return AsgiBackend(source, getattr(source, "__name__", type(source).__name__))
    return None


def local_model_path(path: str | None) -> str | None:
    """The model directory ``get_model_path()`` answers, or None for none or a remote location
    (``oss://``, ``http(s)://``), which EAS mounts itself."""
    if not path or str(path).startswith(("oss://", "http://", "https://")):
        return None
    return str(path)


def _reachable(host: str) -> str:
    """The address discovery lists when none is advertised: a wildcard bind is not an address."""
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


def apply_faults(instances: list[ServiceApp], spec: FaultSpec) -> None:
    for instance in instances:
        instance.faults.set(spec)
