"""Rows/s of distributed scoring on this machine: Ray Data (2 actors) and Spark (``local[2]``)
against single-process ``AsyncEASClient.predict_many``, the same rows, the same service.

The service is ``eas serve`` with 3 instances in its own process. Each engine starts before its
clock does (Ray and Spark each take ~10 s to start): the figure is the scoring alone. On 2 cores
expect parity, not a speed-up; the target is that the engine adds at most 20% overhead. Skipped in
the quick run (the engines' start alone would take most of its budget) and without the extras.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._common import ROOT, Result, Skip, server_cpu_prefix
from .._target import free_port, stop_process, track, wait_port

TITLE = "Distributed scoring: Ray Data and Spark vs single-process predict_many"
GROUP = "distributed"
APP = ROOT.parent / "tests" / "integrations" / "doubler_app.py"
TOKEN = "bench-distributed"
ROWS = int(os.environ.get("BENCH_DISTRIBUTED_ROWS", "100000"))  # fewer for a rough look
WORKERS = 2
CONCURRENCY = 16  # per worker; the single process gets WORKERS × CONCURRENCY


@contextmanager
def _service() -> Iterator[str]:
    port = free_port()
    cmd = [
        sys.executable, "-m", "eas_client", "serve", str(APP), "--service", "doubler",
        "--instances", "3", "--port", str(port), "--token", TOKEN,
    ]  # fmt: skip
    proc = track(subprocess.Popen([*server_cpu_prefix(), *cmd], cwd=ROOT.parent, stdout=subprocess.DEVNULL))
    try:
        wait_port(port, proc, timeout=30)
        yield f"http://127.0.0.1:{port}/api/predict/doubler"
    finally:
        stop_process(proc)


def _single(endpoint: str, data: list[bytes]) -> float:
    from eas_client import AsyncEASClient

    async def go() -> float:
        async with AsyncEASClient(endpoint, TOKEN) as client:
            start = time.monotonic()
            answers = await client.predict_many(data, concurrency=WORKERS * CONCURRENCY)
            took = time.monotonic() - start
        assert not any(isinstance(a, Exception) for a in answers)
        return took

    return asyncio.run(go())


def _ray(endpoint: str, data: list[bytes]) -> float:
    import ray

    from eas_client.integrations.ray import score_dataset

    ray.init(num_cpus=WORKERS, include_dashboard=False, log_to_driver=False)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        ds = ray.data.from_items([{"data": d} for d in data]).materialize()
        start = time.monotonic()
        out = score_dataset(ds, endpoint, TOKEN, concurrency=CONCURRENCY, actors=WORKERS, batch_size=2000)
        failed = out.filter(lambda r: r["error"] is not None).count()
        took = time.monotonic() - start
        assert failed == 0
        return took
    finally:
        ray.shutdown()


def _spark(endpoint: str, data: list[bytes]) -> float:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    from eas_client.integrations.spark import score_dataframe

    spark = SparkSession.builder.master(f"local[{WORKERS}]").config("spark.ui.enabled", "false").getOrCreate()
    try:
        spark.sparkContext.setLogLevel("ERROR")
        df = spark.createDataFrame([(d,) for d in data], "data binary").repartition(WORKERS).cache()
        df.count()
        start = time.monotonic()
        failed = (
            score_dataframe(df, endpoint, TOKEN, concurrency=CONCURRENCY).where("error is not null").count()
        )
        took = time.monotonic() - start
        assert failed == 0
        return took
    finally:
        spark.stop()


def run(quick: bool) -> list[Result]:
    if quick:
        raise Skip("the engines' start (~10 s each) does not fit the quick run; run make bench")
    engines: list[tuple[str, Any]] = [("single process: predict_many", _single)]
    for module, name, fn in (("ray", "Ray Data", _ray), ("pyspark", "Spark local", _spark)):
        try:
            __import__(module)
        except ImportError:
            continue
        engines.append((f"{name}: {WORKERS} workers x c={CONCURRENCY}", fn))
    if len(engines) == 1:
        raise Skip("neither ray nor pyspark is installed (pip install -e '.[ray,spark]')")
    data = [str(i).encode() for i in range(1, ROWS + 1)]
    results = []
    with _service() as endpoint:
        base = None
        for name, fn in engines:
            seconds = fn(endpoint, data)
            rps = ROWS / seconds
            base = base or rps
            results.append(
                Result(
                    "distributed", GROUP, name, rps=rps, runs=1, calls=ROWS,
                    role="raw" if fn is _single else "",
                    extra={"vs single process": round(rps / base, 2)},
                )
            )  # fmt: skip
    return results
