"""Requests/s of the local EAS runtime serving the quickstart processor against a
bare starlette echo app, both under wrk with 32 connections, both pinned to the server core."""

from __future__ import annotations

import contextlib
import importlib.util
import statistics
import subprocess
import sys

from .._common import ROOT, SETTINGS, TOKEN, Result, Sample, Skip, interleave, server_cpu_prefix
from .._target import ensure_tools, find_tool, free_port, stop_process, track, wait_port, wrk

TITLE = "Local runtime vs bare starlette (wrk -c32)"
GROUP = "local-runtime"
QUICKSTART = ROOT.parent / "examples" / "quickstart"
CONNECTIONS = 32

RUNTIME = "eas serve quickstart processor"
ECHO = "bare starlette echo app"


def _commands(port: int) -> dict[str, tuple[list[str], str]]:
    serve = [
        sys.executable, "-m", "eas_client", "serve", str(QUICKSTART / "app.py"),
        "--app-json", str(QUICKSTART / "app.json"), "--port", str(port), "--token", TOKEN,
    ]  # fmt: skip
    echo = [sys.executable, "-m", "benchmarks._echo_app", str(port)]
    return {
        RUNTIME: (serve, f"http://127.0.0.1:{port}/api/predict/demo"),
        ECHO: (echo, f"http://127.0.0.1:{port}/api/predict/echo"),
    }


def run(quick: bool) -> list[Result]:
    if importlib.util.find_spec("eas_client.server.runtime") is None:
        raise Skip("not available yet: eas_client.server (the local runtime) is not there")
    if not (QUICKSTART / "app.py").exists():
        raise Skip("not available yet: examples/quickstart/app.py is missing")
    if find_tool("wrk") is None:
        with contextlib.suppress(Skip):  # installs wrk (with nginx) when run with --only local_runtime
            ensure_tools()
    if find_tool("wrk") is None:
        raise Skip("wrk is not installed (apt-get install -y wrk)")
    commands: dict[str, list[str]] = {}

    def run_one(name: str) -> Sample:
        port = free_port()
        cmd, url = _commands(port)[name]
        commands[name] = cmd
        proc = track(
            subprocess.Popen([*server_cpu_prefix(), *cmd], cwd=ROOT.parent, stdout=subprocess.DEVNULL)
        )
        try:
            wait_port(port, proc, timeout=30)
            wrk(url, CONNECTIONS, 1, TOKEN)  # warm-up: imports, first connections
            rate, _ = wrk(url, CONNECTIONS, SETTINGS.wrk_seconds, TOKEN)
        finally:
            stop_process(proc)
        # wrk reports a rate; one call over 1/rate seconds carries it through the shared median code.
        return Sample(1.0 / rate, 1, None)

    samples = interleave([RUNTIME, ECHO], SETTINGS.wrk_runs, run_one)
    return [
        Result(
            "local_runtime",
            GROUP,
            name,
            rps=statistics.median(s.rps for s in samples[name]),
            role="raw" if name == ECHO else "",
            runs=len(samples[name]),
            note=" ".join(c.replace(str(ROOT.parent) + "/", "") for c in commands.get(name, [])[1:]),
        )
        for name in (RUNTIME, ECHO)
    ]
