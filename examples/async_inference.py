"""Asynchronous inference with eas-client: `eas serve --async` runs the quickstart processor as an
EAS asynchronous-inference service on a free local port (an input queue and a ``/sink`` of
results), then the async queue client submits 1,000 inputs and collects every result, checks that
each input got exactly one right answer, and stops the runtime.

    python examples/async_inference.py [N]
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from eas_client.queue import AsyncQueueClient

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "async-example-token"
SERVICE = "quickstart"


def expected(x: int, y: int) -> bytes:
    """What the quickstart processor answers for ``b"x y"``: is y above 2x + 100."""
    return str(y > 2 * x + 100).encode()


async def submit_and_collect(endpoint: str, count: int) -> int:
    inputs = [f"{i % 50} {100 + i % 7 * 20}".encode() for i in range(count)]
    results: dict[int, list[bytes]] = {}
    started = time.perf_counter()
    async with AsyncQueueClient(endpoint, TOKEN, queue=SERVICE) as client:
        async for done in client.submit_many(inputs, concurrency=64, progress=True):
            if done.error is not None or done.result is None:
                print(f"input {done.position} failed: {done.error}", file=sys.stderr)
                return 1
            results.setdefault(done.position, []).append(done.result.data)
    took = time.perf_counter() - started
    twice = [p for p, got in results.items() if len(got) != 1]
    wrong = [p for p, got in results.items() if got[0] != expected(*map(int, inputs[p].split()))]
    print(f"submit_many: {count} inputs -> {len(results)} results in {took:.2f} s ({count / took:.0f}/s)")
    exact = len(results) == count and not twice
    print(f"every input got exactly one result: {exact}; wrong answers: {len(wrong)}")
    return 0 if exact and not wrong else 1


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    cmd = [sys.executable, "-m", "eas_client", "serve", "examples/quickstart/app.py", "--async"]
    cmd += ["--port", "0", "--service", SERVICE, "--token", TOKEN]
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()  # the runtime says when it serves
        if not banner.startswith("Service start successfully: "):
            print(f"eas serve did not start: {banner!r}", file=sys.stderr)
            return 1
        endpoint = banner.split(": ", 1)[1].strip()
        print(f"eas serve examples/quickstart/app.py --async -> {endpoint}")
        return asyncio.run(submit_and_collect(endpoint, count))
    finally:
        server.terminate()
        server.wait(30)
        if server.stdout is not None:
            server.stdout.close()


if __name__ == "__main__":
    raise SystemExit(main())
