"""The section registry: a section is one module here with ``TITLE`` and ``run(quick) -> list[Result]``.

Sections run in this order; a section that cannot run here raises ``benchmarks._common.Skip`` with
the reason, which goes into the report instead of a number. To add one (Go, Java, discovery…):
write ``benchmarks/sections/<name>.py`` and add ``<name>`` below.
"""

SECTIONS: tuple[str, ...] = (
    "ceiling",  # wrk against nginx: what the target can do, not a Python client
    "sync_clients",  # sequential keep-alive calls: EASClient vs raw engines vs the official SDK
    "async_clients",  # predict_many at concurrency 32 vs raw aiohttp / httpx.AsyncClient
    "streaming",  # SSE parse throughput vs raw line loops and httpx-sse; memory over 1 GiB
    "payloads",  # tensor payload encode/decode (benchmarks/payload_bench.py, another owner)
    "local_runtime",  # the local EAS runtime vs a bare starlette echo app, wrk c=32
    "direct_mode",  # direct (VPC) mode vs an nginx gateway over 3 runtime instances; recovery
    "stream_proxy",  # time to first SSE event through eas serve --upstream vs the upstream directly
    "backpressure",  # fixed vs adaptive concurrency and the retry budget on a capacity service
    "queue",  # async inference: put and put → result watched, ours vs the official QueueClient
    "distributed",  # Ray Data and Spark scoring vs single-process predict_many (skipped when quick)
)
