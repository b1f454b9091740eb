"""``python -m benchmarks.go_bench [--rounds N] [--bench REGEX]``: the Go benchmark (benchmarks/go)
against the shared nginx target of the Python sections, client and server on different cores.

nginx is started exactly as the Python sections start it (``_target.nginx()``: one worker pinned to
core 1 with ``taskset``). The Go test binary is built first, unpinned, then run pinned to core 0
with ``EAS_BENCH_URL`` naming the target, so ``cpu-us/call`` is the client's CPU alone. As in the
Python sections, contenders are not timed in blocks: each round runs every benchmark once
(``-test.count 1``), and a row's figure is the median over rounds, so drift from other tenants of
the machine hits client and raw loop alike. The raw output of every round is printed, then the
table of medians and ratios.

Example::

    flock /tmp/bench.lock python -m benchmarks.go_bench --rounds 3 --bench 'Predict$|RawNetHTTP'
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence

from ._common import CLIENT_CPU, ROOT, SERVER_CPU, WORK, Skip, server_cpu_prefix
from ._target import nginx

GO_DIR = ROOT / "go"
# (row, client benchmark, reference benchmark, metric, goal): the ratio is client / reference for a
# rate, reference / client never (a CPU ratio is reported as client / reference, lower is better).
ROWS = [
    ("sequential Predict, req/s", "Predict", "RawNetHTTP", "req/s", "≥ 0.95×"),
    ("client CPU µs per call", "Predict", "RawNetHTTP", "cpu-us/call", "≤ 1.1×"),
    ("PredictMany c=32 vs goroutine pool, calls/s", "PredictMany32", "RawPool32", "calls/s", "≥ 0.9×"),
    ("client CPU µs per call at c=32", "PredictMany32", "RawPool32", "cpu-us/call", ""),
    ("allocations per sequential call", "Predict", "RawNetHTTP", "allocs/op", ""),
    ("1M float32 TF encode vs copy, MB/s", "TFEncode1M", "Copy1M", "MB/s", "≥ 0.5×"),
    ("1M float32 TF decode vs copy, MB/s", "TFDecode1M", "Copy1M", "MB/s", "≥ 0.5×"),
    ("SSE parse vs raw bufio line loop, MB/s", "SSEParse", "RawLineReader", "MB/s", "≥ 0.8×"),
    ("SSE parse vs raw loop keeping each data line, MB/s", "SSEParse", "RawLineStrings", "MB/s", ""),
    ("Stream + Next vs raw net/http line loop, events/s", "StreamEvents", "RawStreamLines", "events/s", ""),
]
LINE = re.compile(r"^Benchmark(\w+?)(?:-\d+)?\s+(\d+)\s+(.*)$")


def client_cpu_prefix() -> list[str]:
    """``taskset -c 0`` when servers are pinned to the other core, else nothing."""
    return ["taskset", "-c", str(CLIENT_CPU)] if server_cpu_prefix() else []


def parse(output: str) -> dict[str, dict[str, float]]:
    """``{benchmark: {metric: value}}`` from ``go test -bench`` output, with req/s from ns/op."""
    out: dict[str, dict[str, float]] = {}
    for line in output.splitlines():
        match = LINE.match(line.strip())
        if match is None:
            continue
        fields = match.group(3).split()
        metrics = {unit: float(value) for value, unit in zip(fields[::2], fields[1::2], strict=False)}
        if "ns/op" in metrics:
            metrics["req/s"] = 1e9 / metrics["ns/op"]
        out[match.group(1)] = metrics
    return out


def table(rounds: list[dict[str, dict[str, float]]]) -> str:
    """The medians over rounds of each row's two benchmarks, and their ratio."""
    lines = ["| row | client | reference | ratio | goal |", "|---|---:|---:|---:|---|"]
    for row, mine, ref, metric, goal in ROWS:
        a = [r[mine][metric] for r in rounds if metric in r.get(mine, {})]
        b = [r[ref][metric] for r in rounds if metric in r.get(ref, {})]
        if not a or not b:
            continue
        ma, mb = statistics.median(a), statistics.median(b)
        lines.append(f"| {row} | {ma:,.1f} | {mb:,.1f} | {ma / mb:.2f}× | {goal} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    about = __doc__.split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m benchmarks.go_bench", description=about)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every benchmark (median over them)")
    parser.add_argument("--bench", default=".", help="the -test.bench pattern")
    args = parser.parse_args(argv)
    go = shutil.which("go")
    if go is None:
        print("[bench-go] skipped: go is not installed", flush=True)
        return 0
    binary = WORK / "go-bench.test"
    binary.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([go, "test", "-c", "-o", str(binary), "."], cwd=GO_DIR, check=True)
    try:
        target = nginx()
    except Skip as exc:
        print(f"[bench-go] skipped: {exc}", flush=True)
        return 0
    pinned = client_cpu_prefix()
    where = f"client on core {CLIENT_CPU}, nginx on core {SERVER_CPU}" if pinned else "not pinned"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"[bench-go] nginx {target.version} at {target.url}; {where}; "
        f"{platform.machine()}, {os.cpu_count()} cores, load average {load}",
        flush=True,
    )
    env = {**os.environ, "EAS_BENCH_URL": target.url}
    cmd = [*pinned, str(binary), "-test.run", "^$", "-test.bench", args.bench, "-test.benchmem"]
    rounds = []
    for i in range(args.rounds):
        done = subprocess.run(cmd, cwd=GO_DIR, env=env, capture_output=True, text=True, check=False)
        print(f"[bench-go] round {i + 1}/{args.rounds}\n{done.stdout}{done.stderr}", end="", flush=True)
        if done.returncode != 0:
            target.stop()
            return done.returncode
        rounds.append(parse(done.stdout))
    target.stop()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nMedians over {args.rounds} rounds (load average after: {load}):\n\n{table(rounds)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
