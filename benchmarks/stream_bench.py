"""Streaming: SSE parse throughput and memory (spec/protocol.md §13).

    python -m benchmarks.stream_bench [--quick]       # writes benchmarks/results/sse_parse.md
    python -m benchmarks.stream_bench --memory 1024 events   # one memory probe (a child process)

**Throughput.** A local server (``benchmarks/_sse_server.py``, its own process) answers every POST
with the same pre-built chunked body of 200,000 small events (``data: <12 digits>\\n\\n``), written
with one ``sendall``, so the clients' parsing is what is timed. Contenders read one whole stream
per run: ``AsyncEASClient.stream().iter_events()`` (aiohttp engine) against a raw aiohttp line loop
(``async for line in resp.content``, the reference: target ≥ 0.8×) and httpx-sse
(``aconnect_sse(...).aiter_sse()``, a peer anchor); ``EASClient.stream().iter_events()`` (http.client
engine) against a raw ``http.client`` ``readline`` loop and httpx-sse's sync form. Runs interleave,
the order rotating per round; a figure is the median over rounds.

**Memory.** A child process streams 1 GiB of 64 KiB events through ``EASClient`` and reports its
peak RSS before and after (``ru_maxrss``): with no whole-body buffering the growth stays a few MiB.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._common import RESULTS, Result, server_cpu_prefix

EVENTS = 200_000
QUICK_EVENTS = 20_000
ROUNDS = 5
MEMORY_MIB = 1024
QUICK_MEMORY_MIB = 64


class Server:
    """The SSE server process; ``url`` is its stream URL."""

    def __init__(self, *args: str) -> None:
        cmd = [*server_cpu_prefix(), sys.executable, "-m", "benchmarks._sse_server", *args]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parent.parent)
        assert self._proc.stdout is not None
        self.port = int(self._proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/api/predict/sse"

    def close(self) -> None:
        self._proc.kill()
        self._proc.wait()


def _sync_contenders(url: str, events: int) -> dict[str, Callable[[], int]]:
    from eas_client import EASClient

    client = EASClient(url, "bench-token", timeout=30)
    port = int(url.split(":")[2].split("/")[0])

    def eas() -> int:
        with client.stream(b"go") as stream:
            return sum(1 for _ in stream.iter_events())

    conn = http.client.HTTPConnection("127.0.0.1", port)

    def raw() -> int:
        conn.request("POST", "/api/predict/sse", body=b"go", headers={"Accept": "text/event-stream"})
        resp = conn.getresponse()
        lines = 0
        readline = resp.readline
        while readline():
            lines += 1
        return lines // 2

    out: dict[str, Callable[[], int]] = {
        "EASClient iter_events (http.client)": eas,
        "raw http.client readline loop": raw,
    }
    try:
        import httpx
        import httpx_sse

        hc = httpx.Client(timeout=30)

        def peer() -> int:
            with httpx_sse.connect_sse(hc, "POST", url, content=b"go") as source:
                return sum(1 for _ in source.iter_sse())

        out["httpx-sse connect_sse (httpx.Client)"] = peer
    except ImportError:
        pass
    return out


def _async_contenders(
    url: str, loop: asyncio.AbstractEventLoop, closers: list[Callable[[], Any]]
) -> dict[str, Callable[[], int]]:
    import aiohttp

    from eas_client import AsyncEASClient

    client = AsyncEASClient(url, "bench-token", timeout=30)
    session = loop.run_until_complete(_session())
    closers += [
        lambda: loop.run_until_complete(client.close()),
        lambda: loop.run_until_complete(session.close()),
    ]

    async def eas() -> int:
        n = 0
        async with client.stream(b"go") as stream:
            async for _ in stream.iter_events():
                n += 1
        return n

    async def raw() -> int:
        lines = 0
        async with session.post(url, data=b"go", headers={"Accept": "text/event-stream"}) as resp:
            async for _ in resp.content:
                lines += 1
        return lines // 2

    out: dict[str, Callable[[], int]] = {
        "AsyncEASClient iter_events (aiohttp)": lambda: loop.run_until_complete(eas()),
        "raw aiohttp line loop": lambda: loop.run_until_complete(raw()),
    }
    try:
        import httpx
        import httpx_sse

        ahc = httpx.AsyncClient(timeout=30)
        closers.append(lambda: loop.run_until_complete(ahc.aclose()))

        async def peer() -> int:
            n = 0
            async with httpx_sse.aconnect_sse(ahc, "POST", url, content=b"go") as source:
                async for _ in source.aiter_sse():
                    n += 1
            return n

        out["httpx-sse aconnect_sse (httpx.AsyncClient)"] = lambda: loop.run_until_complete(peer())
    except ImportError:
        pass
    del aiohttp
    return out


async def _session() -> Any:
    import aiohttp

    return aiohttp.ClientSession(skip_auto_headers=("Accept-Encoding",))


def _time(fn: Callable[[], int], events: int) -> float:
    started = time.perf_counter()
    got = fn()
    seconds = time.perf_counter() - started
    if got != events:
        raise RuntimeError(f"read {got} events, expected {events}")
    return events / seconds


ROLES = {"raw aiohttp line loop": "raw", "raw http.client readline loop": "raw"}


def throughput(quick: bool) -> list[Result]:
    events = QUICK_EVENTS if quick else EVENTS
    rounds = 1 if quick else ROUNDS
    server = Server(str(events))
    loop = asyncio.new_event_loop()
    closers: list[Callable[[], Any]] = []
    try:
        groups = {
            "sse-parse-async": _async_contenders(server.url, loop, closers),
            "sse-parse-sync": _sync_contenders(server.url, events),
        }
        rates: dict[str, list[float]] = {name: [] for g in groups.values() for name in g}
        every = [(g, name, fn) for g, c in groups.items() for name, fn in c.items()]
        for _, _, fn in every:  # warm-up: connections open, code paths hot
            fn()
        for r in range(rounds):
            order = every[r % len(every) :] + every[: r % len(every)]
            for _, name, fn in order:
                rates[name].append(_time(fn, events))
    finally:
        for close in closers:
            close()
        loop.close()
        server.close()
    results = []
    for group, contenders in groups.items():
        for name in contenders:
            rps = statistics.median(rates[name])
            results.append(
                Result(
                    "streaming",
                    group,
                    name,
                    rps=rps,
                    role=ROLES.get(name, ""),
                    runs=rounds,
                    calls=events,
                    note="events/s",
                )
            )
    return results


def memory(quick: bool) -> list[Result]:
    mib = QUICK_MEMORY_MIB if quick else MEMORY_MIB
    server = Server("--bytes", str(mib))
    out = []
    try:
        for mode in ("bytes", "events"):
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.stream_bench", "--memory-child", server.url, mode],
                capture_output=True,
                text=True,
                check=True,
                cwd=Path(__file__).resolve().parent.parent,
            )
            before, after, total, seconds = (float(x) for x in done.stdout.split())
            out.append(
                Result(
                    "streaming",
                    "stream-memory",
                    f"EASClient iter_{mode} over {total / 2**20:.0f} MiB",
                    rps=total / seconds / 2**20,
                    note=f"MiB/s; peak RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB",
                    extra={"rss_growth_mib": round((after - before) / 1024, 1)},
                )
            )
    finally:
        server.close()
    return out


def _memory_child(url: str, mode: str) -> None:
    from eas_client import EASClient

    client = EASClient(url, "bench-token", timeout=30)
    with client.stream(b"warm-up", max_retries=0) as stream:  # imports and buffers in place first
        for _ in stream.iter_bytes():
            break
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    total = 0
    started = time.perf_counter()
    with client.stream(b"go") as stream:
        if mode == "bytes":
            for chunk in stream.iter_bytes():
                total += len(chunk)
        else:
            for event in stream.iter_events():
                total += len(event.data) + 8
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(before, after, total, seconds)


def run(quick: bool) -> list[Result]:
    return throughput(quick) + memory(quick)


def report(results: list[Result], quick: bool) -> str:
    refs = {r.group: r.rps for r in results if r.role == "raw" and r.rps}
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# Streaming benchmark (benchmarks/stream_bench.py)",
        "",
        f"{'Quick run (rough). ' if quick else ''}Written {stamp} by "
        f"`python -m benchmarks.stream_bench{' --quick' if quick else ''}`; method in the module "
        "docstring. Ratios are over the raw line loop of the same group, measured in the same run.",
        "",
        "| group | contender | figure | vs raw | note |",
        "|---|---|---:|---:|---|",
    ]
    for r in results:
        ratio = f"{r.rps / refs[r.group]:.2f}×" if r.group in refs and r.rps else ""
        extra = "".join(f"; {k} {v}" for k, v in r.extra.items())
        lines.append(f"| {r.group} | {r.name} | {r.rps:,.0f} | {ratio} | {r.note}{extra} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stream_bench")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--memory-child", nargs=2, metavar=("URL", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        _memory_child(*args.memory_child)
        return 0
    text = report(run(args.quick), args.quick)
    print(text)
    if not args.quick:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "sse_parse.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
