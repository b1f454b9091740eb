"""LocalRuntime: the local EAS runtime in a background thread, for tests, notebooks and demos."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..server.allspark import BaseProcessor
from ..server.faults import FaultSpec
from ..server.runtime import Runtime, apply_faults, build_runtime

START_TIMEOUT_S = 30.0


class LocalRuntime:
    """Serve a processor (file path, BaseProcessor subclass or instance) on 127.0.0.1, or put the
    gateway in front of an ASGI app (an app object or ``"module:app"``) or of an HTTP server
    (``upstream="http://127.0.0.1:8000"``), which then answer ``<endpoint>/<path>``.

    Keyword arguments are the ``eas serve`` options: ``service``, ``token``, ``admin_token``,
    ``worker_threads``, ``queue_size``, ``keepalive_ms``, ``instances``, ``app_json``, ``model_path``,
    ``max_date_skew_s``, ``max_body``, ``max_connections``, ``header_timeout_s``, ``body_timeout_s``,
    ``max_header_bytes``, ``shutdown_grace_s``, ``advertise_host``, ``port`` (default: a free port).
    ``faults`` takes a :class:`FaultSpec`. The methods below act on the runtime directly; for the
    HTTP admin API, send ``admin_headers`` (the admin token, else the service token).

    Example::

        from eas_client import EASClient
        from eas_client.testing import LocalRuntime

        with LocalRuntime("examples/quickstart/app.py", service="demo", token="T", instances=2) as rt:
            with EASClient(rt.endpoint, rt.token) as client:
                assert client.predict(b"2 105") == b"True"
            rt.set_faults(rate_503=0.2, seed=1)  # later calls see injected 503s
            rt.stop_instance(0)  # direct-mode clients now fail over to instance 1
            print(rt.stats())  # {"requests": 1, "completed": 1, "statuses": {"200": 1}, ...}
    """

    def __init__(
        self,
        processor: str | Path | type | BaseProcessor | Callable[..., Any] | None = None,
        *,
        service: str = "demo",
        token: str | None = None,
        port: int = 0,
        faults: FaultSpec | None = None,
        app_json: str | Path | dict[str, Any] | None = None,
        upstream: str | None = None,
        **options: Any,
    ) -> None:
        self._runtime: Runtime = build_runtime(
            processor,
            app_json=app_json,
            upstream=upstream,
            service=service,
            token=token,
            port=port,
            host="127.0.0.1",
            **options,
        )
        if faults is not None:
            self.set_faults(faults)
        self._thread = threading.Thread(target=self._run, name="eas-local-runtime", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._runtime.serve())
        except BaseException as exc:  # surfaced by start()/stop() in the caller's thread
            self._error = exc

    def start(self) -> LocalRuntime:
        """Serve in a background thread; returns once every port accepts calls."""
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        # Short waits on the readiness events so a thread that died (initialize() raised) is noticed.
        while not self._runtime.wait_ready(0.05):
            if not self._thread.is_alive():
                raise RuntimeError(f"local runtime failed to start: {self._error!r}") from self._error
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"local runtime not ready after {START_TIMEOUT_S:.0f} s")
        return self

    def stop(self) -> None:
        """Stop serving; requests in flight are answered first."""
        self._runtime.stop()
        self._thread.join(START_TIMEOUT_S)
        if self._error is not None:
            raise RuntimeError(f"local runtime failed: {self._error!r}")

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def settings(self) -> Any:
        return self._runtime.settings

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._runtime.ports[0]}"

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/api/predict/{self._runtime.settings.service_label}"

    @property
    def token(self) -> str | None:
        return self._runtime.settings.token

    @property
    def admin_headers(self) -> dict[str, str]:
        """Headers for ``/_admin/*`` over HTTP, e.g.
        ``urllib.request.Request(rt.base_url + "/_admin/stats", headers=rt.admin_headers)``."""
        credential = self._runtime.settings.admin_credential
        return {} if credential is None else {"Authorization": credential}

    @property
    def instance_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self._runtime.ports[1:]]

    def stats(self, index: int | None = None) -> dict[str, Any]:
        """Counters of the gateway (``None``), or of instance ``index``."""
        app = self._runtime.gateway if index is None else self._runtime.instances[index]
        return app.stats.to_json()

    def total_stats(self) -> dict[str, int]:
        """Counters summed over the gateway and every instance: requests, completed process()
        calls, bodies processed more than once, and injected faults (503/450/429 answers and
        dropped connections)."""
        snapshots = [a.stats.to_json() for a in (self._runtime.gateway, *self._runtime.instances)]
        faults = sum(
            n for s in snapshots for code, n in s["statuses"].items() if code in ("0", "429", "450", "503")
        )
        return {
            "requests": sum(s["requests"] for s in snapshots),
            "completed": sum(s["completed"] for s in snapshots),
            "duplicate_bodies": sum(s["duplicate_bodies"] for s in snapshots),
            "faults": faults,
        }

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no process() call is running or queued anywhere (e.g. calls the client
        gave up on); returns False on timeout."""
        apps = [self._runtime.gateway, *self._runtime.instances]
        return all(app.idle.wait(timeout) for app in apps)

    def track_bodies(self, on: bool = True) -> None:
        """Count process() calls per body (first 64 bytes) so duplicates can be detected."""
        for app in [self._runtime.gateway, *self._runtime.instances]:
            app.track_bodies = on

    def set_faults(self, spec: FaultSpec | None = None, index: int | None = None, **rates: Any) -> None:
        """Inject faults on every server, or on instance ``index`` only; ``set_faults()`` clears them.

        Example::

            rt.set_faults(FaultSpec(rate_503=0.1, seed=1))
            rt.set_faults(rate_close=1.0, index=0)  # the FaultSpec fields as keywords
        """
        if spec is None:
            spec = FaultSpec(**rates)
        elif rates:
            raise TypeError("pass a FaultSpec or keyword rates, not both")
        targets = (
            [self._runtime.gateway, *self._runtime.instances]
            if index is None
            else [self._runtime.instances[index]]
        )
        apply_faults(targets, spec)

    def stop_instance(self, index: int, wait: bool = True) -> None:
        """Kill instance ``index`` (its port closes; discovery keeps listing it, as EAS may).
        With ``wait`` (the default), return once its port is closed and its in-flight calls answered."""
        self._runtime.stop(index)
        if wait and not self._runtime.wait_stopped(index, START_TIMEOUT_S):
            raise RuntimeError(f"instance {index} did not stop within {START_TIMEOUT_S:.0f} s")

    def wait_instance_stopped(self, index: int, timeout: float = START_TIMEOUT_S) -> bool:
        """Wait for instance ``index`` stopped another way (``POST /_admin/instances/<i>/stop``)."""
        return self._runtime.wait_stopped(index, timeout)

    def set_upstreams(self, items: list[dict[str, Any]] | None) -> None:
        """Override the discovery answer's items (``None``: the real instances)."""
        self._runtime.set_upstreams(items)

    def set_discovery_failure(self, status: int | None, body: bytes = b"discovery unavailable") -> None:
        """Make the discovery API fail with ``status`` and ``body`` (``None`` heals it)."""
        self._runtime.set_discovery_failure(status, body)

    def instance_port(self, index: int) -> int:
        return self._runtime.ports[index + 1]
