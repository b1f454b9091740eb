"""Streaming: SSE parse throughput vs raw line loops and httpx-sse, and memory over a large stream;
the work is ``benchmarks/stream_bench.py``, which also runs alone and writes results/sse_parse.md."""

from __future__ import annotations

from .._common import Result
from ..stream_bench import run as _run

TITLE = "Streaming: SSE parse throughput and memory (benchmarks/stream_bench.py)"


def run(quick: bool) -> list[Result]:
    return _run(quick)
