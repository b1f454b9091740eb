"""The foreground entry points: ``eas serve`` (through :func:`run_foreground`) and ``python app.py``
(``BaseProcessor.run()`` calls :func:`serve_processor`). They own their process: they print, read
the environment, exit with a message, and export ``EAS_MODEL_PATH``; :mod:`.runtime` does none of
that, so it can also run inside a test (``LocalRuntime``)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from .._core.config import ENV_SERVICE_NAME, ENV_TOKEN
from .allspark import ENV_MODEL_PATH, BaseProcessor
from .errors import ServeError
from .runtime import Runtime, build_runtime, local_model_path
from .settings import RuntimeSettings

# Port for `python app.py` when the processor names no endpoint (default 8080, as on EAS's local test).
ENV_SERVE_PORT = "EAS_SERVE_PORT"


def serve_processor(processor: BaseProcessor) -> None:
    """``MyProcessor(...).run()`` outside ``eas serve``: serve in the foreground until Ctrl-C,
    with the token and service name from EAS_TOKEN and EAS_SERVICE_NAME, and the port from the
    processor's endpoint, else EAS_SERVE_PORT, else 8080."""
    flags: dict[str, Any] = {
        "token": os.environ.get(ENV_TOKEN) or None,
        "service": os.environ.get(ENV_SERVICE_NAME) or None,
    }
    if os.environ.get(ENV_SERVE_PORT) and not processor.endpoint:
        flags["port"] = int(os.environ[ENV_SERVE_PORT])
    try:
        runtime = build_runtime(processor, **flags)
    except ServeError as exc:  # a script's entry point: say what to fix and exit
        raise SystemExit(str(exc)) from None
    entry = getattr(sys.modules.get(type(processor).__module__), "__file__", None)
    run_foreground(runtime, label=None if flags["service"] else name_beside(entry))


def name_beside(source: object) -> str | None:
    """The ``name`` in the ``app.json`` beside a processor file, if there is one: the name the
    printed URL shows when no service name is set (every name is served then)."""
    if not isinstance(source, str) or not source.endswith(".py"):
        return None
    try:
        doc = json.loads((Path(source).resolve().parent / "app.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = doc.get("name") if isinstance(doc, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def run_foreground(runtime: Runtime, *, label: str | None = None) -> None:
    """Print where the runtime listens (and what it exposes), then serve until Ctrl-C.
    ``label`` names the service in the printed URL when the runtime serves every name."""
    settings = runtime.settings
    shown = settings.service or label or settings.service_label
    url = f"http://{settings.host}:{runtime.ports[0]}/api/predict/{shown}"
    print(f"Service start successfully: {url}", flush=True)
    if runtime.backend is not None:
        print(f"  forwarding to {runtime.backend.label}", flush=True)
    for i, port in enumerate(runtime.ports[1:]):
        print(f"  instance {i}: http://{settings.host}:{port}", flush=True)
    for line in exposure(settings):
        print(line, file=sys.stderr, flush=True)
    model_path = local_model_path(settings.model_path)
    if model_path is not None:
        # This process exists to serve the processor, so code that reads the variable directly
        # (or a subprocess it starts) sees the same directory as get_model_path().
        os.environ[ENV_MODEL_PATH] = model_path
    try:
        asyncio.run(runtime.serve(handle_signals=True))
    except KeyboardInterrupt:
        pass


def exposure(settings: RuntimeSettings) -> list[str]:
    """What the runtime exposes and to whom, printed at start-up when it is more than this machine
    or more than the service itself."""
    lines = []
    if not settings.loopback:
        where = f"{settings.host}:{settings.port}"
        lines.append(f"warning: listening on {where}, reachable from other machines. Exposed there:")
        calls = "token required" if settings.token else "NO TOKEN: anyone who reaches the port can call it"
        lines.append(f"  POST /api/predict/{settings.service_label} ({calls})")
        lines.append("  GET /health and the discovery API (no token, as on EAS)")
        if settings.admin_enabled:
            which = "--admin-token" if settings.admin_token else "--token"
            lines.append(f"  /_admin/* (faults, upstreams, stopping instances; needs the {which})")
        else:
            lines.append("  /_admin/* is DISABLED: pass --admin-token (or --token) to enable it")
        lines.append(
            "  This is a development server: no TLS, no rate limits; keep it off untrusted networks."
        )
    elif settings.admin_credential is None:
        lines.append(
            "note: no token: the service and /_admin/* (faults, upstreams, stopping instances) "
            "are open to every process on this machine"
        )
    return lines
