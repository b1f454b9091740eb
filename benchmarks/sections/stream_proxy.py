"""Time to first event of a streamed chat completion: through ``eas serve --upstream`` (token check,
gateway, relay) against the same upstream called directly. The upstream is examples/llm under
uvicorn with no token delay, asked for one token, so the first event is its first write; both
servers run on the server core, the client (a raw keep-alive socket) on the client core.

Run alone with ``python -m benchmarks.sections.stream_proxy``: it then writes
benchmarks/results/streaming.md instead of touching the full run's latest.md (``--quick``: a smoke
run, written under benchmarks/.work/results-quick/).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import socket
import statistics
import subprocess
import sys
import time

from .._common import ROOT, TOKEN, Result, Sample, Settings, Skip, interleave, server_cpu_prefix
from .._target import free_port, stop_process, track, wait_port

TITLE = "Streaming: time to first event through eas serve --upstream vs the upstream directly"
GROUP = "stream-proxy"
APP = ROOT.parent / "examples" / "llm" / "app.py"
DIRECT = "upstream directly (examples/llm, uvicorn)"
PROXIED = "eas serve --upstream (token check + relay)"
GOAL_ADDED_P50_US = 1000.0
BODY = json.dumps(
    {
        "model": "eas-demo-llm",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "max_tokens": 1,
    }
).encode()


class _Caller:
    """One keep-alive connection; ``call()`` returns nanoseconds from sending to the end of the
    first SSE event, then reads the rest of the answer so the connection can be reused."""

    def __init__(self, port: int, path: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: application/json\r\nAccept: application/json\r\n"
            f"Content-Length: {len(BODY)}\r\n\r\n"
        )
        self.request = head.encode() + BODY

    def call(self) -> int:
        clock = time.perf_counter_ns
        t0 = clock()
        self.sock.sendall(self.request)
        buf = b""
        first = 0
        while True:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError(f"connection closed mid-answer after {buf[:300]!r}")
            buf += data
            if not first:
                body_at = buf.find(b"\r\n\r\n")
                if body_at >= 0 and buf.find(b"\n\n", body_at + 4) >= 0:
                    first = clock() - t0
                    if not buf.startswith(b"HTTP/1.1 200"):
                        raise ConnectionError(f"unexpected answer {buf[:300]!r}")
            if buf.endswith(b"\r\n0\r\n\r\n"):
                return first

    def close(self) -> None:
        self.sock.close()


def _start(cmd: list[str], port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LLM_TOKEN_DELAY_MS": "0"}
    proc = track(
        subprocess.Popen([*server_cpu_prefix(), *cmd], cwd=ROOT.parent, env=env, stdout=subprocess.DEVNULL)
    )
    wait_port(port, proc, timeout=30)
    return proc


def run(quick: bool) -> list[Result]:
    if not APP.exists():
        raise Skip("examples/llm/app.py is missing")
    calls, warmup, rounds = (150, 30, 3) if quick else (400, 50, 7)
    up_port, gw_port = free_port(), free_port()
    upstream = _start([sys.executable, str(APP), "--port", str(up_port)], up_port)
    serve = [sys.executable, "-m", "eas_client", "serve", "--upstream", f"http://127.0.0.1:{up_port}"]
    serve += ["--port", str(gw_port), "--service", "llm", "--token", TOKEN]
    gateway = _start(serve, gw_port)
    targets = {
        DIRECT: (up_port, "/v1/chat/completions"),
        PROXIED: (gw_port, "/api/predict/llm/v1/chat/completions"),
    }
    try:

        def run_one(name: str) -> Sample:
            caller = _Caller(*targets[name])
            try:
                for _ in range(warmup):
                    caller.call()
                gc.collect()
                start = time.perf_counter_ns()
                lat = [caller.call() for _ in range(calls)]
                return Sample((time.perf_counter_ns() - start) / 1e9, calls, lat)
            finally:
                caller.close()

        samples = interleave([DIRECT, PROXIED], rounds, run_one)
    finally:
        stop_process(gateway)
        stop_process(upstream)
    p50 = {name: _median_pct(s, 0.50) for name, s in samples.items()}
    p95 = {name: _median_pct(s, 0.95) for name, s in samples.items()}
    added = p50[PROXIED] - p50[DIRECT]
    verdict = "met" if added <= GOAL_ADDED_P50_US else "missed"
    results = []
    for name in (PROXIED, DIRECT):
        extra: dict[str, object] = {"ttfe p50 µs": p50[name], "ttfe p95 µs": p95[name]}
        note = f"{calls} calls × {rounds} rounds, one keep-alive connection"
        if name == PROXIED:
            extra["added p50 µs"] = added
            extra["added p95 µs"] = p95[PROXIED] - p95[DIRECT]
            note = f"goal: ≤ {GOAL_ADDED_P50_US:.0f} µs added at p50 ({verdict}); " + note
        results.append(
            Result(
                "stream_proxy",
                GROUP,
                name,
                rps=statistics.median(s.rps for s in samples[name]),
                role="raw" if name == DIRECT else "",
                runs=len(samples[name]),
                calls=calls,
                note=note,
                extra=extra,
            )
        )
    return results


def _median_pct(samples: list[Sample], q: float) -> float:
    """The median over rounds of each round's ``q`` quantile, in µs."""
    values = []
    for s in samples:
        ordered = sorted(s.latencies_ns or [0])
        values.append(ordered[min(len(ordered) - 1, int(len(ordered) * q))] / 1000)
    return statistics.median(values)


def main() -> int:
    from .. import _common, _report
    from .._common import pin_client_cpu

    parser = argparse.ArgumentParser(prog="python -m benchmarks.sections.stream_proxy")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    _common.SETTINGS.__dict__.update(Settings.make(args.quick).__dict__)
    pinning = pin_client_cpu()
    results = run(args.quick)
    lines = [
        "# Streaming through the local runtime: latest run",
        "",
        f"Generated by `python -m benchmarks.sections.stream_proxy{' --quick' if args.quick else ''}` "
        f"at {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; `make bench` puts the same section "
        "in latest.md. Time to first event (ttfe) is from sending the request to the end of the first "
        "SSE event; the figures are medians over interleaved rounds of each round's percentile.",
        "",
        f"## {TITLE}",
        "",
        *_report._table(results, _report.ratios(results), {id(r): i for i, r in enumerate(results)}),
        "",
        f"- pinning: {pinning}",
        f"- machine: {', '.join(f'{k} {v}' for k, v in _report.machine_info().items())}",
        "",
    ]
    # A smoke run must not overwrite the committed figures of a full one.
    folder = _common.WORK / "results-quick" if args.quick else _report.RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "streaming.md"
    path.write_text(_report._relative("\n".join(lines)))
    print(path.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
