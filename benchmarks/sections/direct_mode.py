"""Figures for direct (VPC) mode against gateway mode over the same three runtime instances,
and how direct mode recovers when one instance dies.

Gateway mode is an nginx reverse proxy spreading calls over the instances (the extra hop the EAS
gateway adds); direct mode reads the runtime's discovery API and calls the instances itself.
Both are driven by AsyncEASClient.predict_many at concurrency 32, interleaved.
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

from .._common import (
    BODY,
    EXPECTED,
    ROOT,
    SETTINGS,
    TOKEN,
    WORK,
    Result,
    Sample,
    interleave,
    server_cpu_prefix,
)
from .._target import ensure_tools, free_port, stop_process, track, wait_port

TITLE = "Direct (VPC) mode vs gateway mode, 3 instances (predict_many c=32)"
GROUP = "direct-mode"
QUICKSTART = ROOT.parent / "examples" / "quickstart" / "app.py"
DIRECT = "direct mode (discovery + client-side WRR)"
GATEWAY = "gateway mode (nginx proxy in front)"
PROXY_CONF = """
daemon off;
worker_processes 1;
pid {work}/proxy.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/tmp/body;
    proxy_temp_path {work}/tmp/proxy;
    fastcgi_temp_path {work}/tmp/fastcgi;
    uwsgi_temp_path {work}/tmp/uwsgi;
    scgi_temp_path {work}/tmp/scgi;
    upstream instances {{ {servers} keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        keepalive_requests 1000000;
        location / {{
            proxy_pass http://instances;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def _start_runtime() -> tuple[subprocess.Popen[bytes], int, list[int]]:
    port = free_port()
    cmd = [sys.executable, "-m", "eas_client", "serve", str(QUICKSTART), "--port", str(port),
           "--service", "demo", "--token", TOKEN, "--instances", "3"]  # fmt: skip
    proc = track(subprocess.Popen([*server_cpu_prefix(), *cmd], cwd=ROOT.parent, stdout=subprocess.DEVNULL))
    wait_port(port, proc, timeout=30)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/servicediscovery/upstreams/demo") as r:
        items = json.loads(r.read())["endpoints"]["items"]
    return proc, port, [int(i["port"]) for i in items]


def _start_proxy(ports: list[int]) -> tuple[subprocess.Popen[bytes], int]:
    binary, _ = ensure_tools()
    work = WORK / "nginx-proxy"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    port = free_port()
    servers = " ".join(f"server 127.0.0.1:{p};" for p in ports)
    conf = work / "nginx.conf"
    conf.write_text(PROXY_CONF.format(work=work, port=port, servers=servers))
    cmd = [*server_cpu_prefix(), binary, "-p", str(work), "-c", str(conf), "-e", str(work / "error.log")]
    proc = track(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_port(port, proc)
    return proc, port


async def _batch(calls: int, **client_args: object) -> float:
    from eas_client import AsyncEASClient

    async with AsyncEASClient(token=TOKEN, **client_args) as client:  # type: ignore[arg-type]
        await client.predict_many([BODY] * SETTINGS.async_warmup, concurrency=SETTINGS.concurrency)
        start = time.perf_counter()
        out = await client.predict_many([BODY] * calls, concurrency=SETTINGS.concurrency)
        seconds = time.perf_counter() - start
    failed = sum(1 for v in out if v != EXPECTED)
    if failed:
        raise RuntimeError(
            f"{failed} of {calls} calls failed, e.g. {next(v for v in out if v != EXPECTED)!r}"
        )
    return seconds


def _recovery(gateway_port: int, calls: int) -> dict[str, float]:
    """Kill instance 2 a third of the way through a direct-mode batch and read the client's own
    ejection log: calls failed, attempts that hit the dead instance, time from kill to ejection."""
    from eas_client import EASClient

    events: list[float] = []

    class Ejections(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "ejected" in record.getMessage():
                events.append(time.monotonic())

    handler = Ejections(logging.DEBUG)
    log = logging.getLogger("eas_client")
    log.addHandler(handler)
    old_level = log.level
    log.setLevel(logging.DEBUG)
    killed_at: list[float] = []
    lock = threading.Lock()

    def progress(done: int, total: int | None) -> None:
        with lock:
            if done == calls // 3 and not killed_at:
                killed_at.append(time.monotonic())
                req = urllib.request.Request(
                    f"http://127.0.0.1:{gateway_port}/_admin/instances/2/stop",
                    data=b"",
                    method="POST",
                    headers={"Authorization": TOKEN},  # the admin API takes the service token
                )
                urllib.request.urlopen(req).read()

    try:
        with EASClient(
            f"http://127.0.0.1:{gateway_port}", TOKEN, service_name="demo", endpoint_type="direct"
        ) as client:
            start = time.monotonic()
            out = client.predict_many([BODY] * calls, concurrency=8, progress=progress)
            seconds = time.monotonic() - start
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
    failed = sum(1 for v in out if v != EXPECTED)
    first = (events[0] - killed_at[0]) * 1000 if events and killed_at else float("nan")
    return {"failed": failed, "dead_hits": len(events), "eject_ms": first, "seconds": seconds}


def run(quick: bool) -> list[Result]:
    runtime, gateway_port, ports = _start_runtime()
    proxy = None
    try:
        proxy, proxy_port = _start_proxy(ports)
        calls = max(SETTINGS.async_warmup, SETTINGS.async_calls // 4)
        args = {
            DIRECT: {
                "endpoint": f"http://127.0.0.1:{gateway_port}",
                "service_name": "demo",
                "endpoint_type": "direct",
            },
            GATEWAY: {"endpoint": f"http://127.0.0.1:{proxy_port}/api/predict/demo"},
        }

        def run_one(name: str) -> Sample:
            return Sample(asyncio.run(_batch(calls, **args[name])), calls)

        samples = interleave([DIRECT, GATEWAY], SETTINGS.async_rounds, run_one)
        recovery = _recovery(gateway_port, 1500 if quick else 6000)
    finally:
        if proxy is not None:
            stop_process(proxy)
        stop_process(runtime)
    note = (
        f"instance killed mid-run: {recovery['failed']:.0f} calls failed, {recovery['dead_hits']:.0f} "
        f"attempts hit the dead instance (each retried elsewhere), first ejection "
        f"{recovery['eject_ms']:.0f} ms after the kill"
    )
    return [
        Result(
            "direct_mode", GROUP, DIRECT, rps=statistics.median(s.rps for s in samples[DIRECT]),
            runs=len(samples[DIRECT]), calls=calls, note=note, extra=recovery,
        ),
        Result(
            "direct_mode", GROUP, GATEWAY, rps=statistics.median(s.rps for s in samples[GATEWAY]),
            role="raw", runs=len(samples[GATEWAY]), calls=calls,
            note="nginx upstream over the same 3 instances",
        ),
    ]  # fmt: skip
