"""Batch throughput at concurrency 32: AsyncEASClient.predict_many (aiohttp and httpx engines) against
raw aiohttp and raw httpx.AsyncClient, each bounded by an asyncio.Semaphore of the same size."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable

from .._common import BODY, EXPECTED, HEADERS, SETTINGS, TOKEN, Result, Sample, interleave, summarize
from .._target import nginx

TITLE = "Python async: batch of calls at concurrency 32"
GROUP = "python-async"

# A contender runs ``calls`` requests with at most ``concurrency`` in flight and returns the bodies.
Batch = Callable[[int], Awaitable[list[object]]]
Contender = Callable[[str, int], Awaitable[tuple[Batch, Callable[[], Awaitable[None]]]]]


async def _eas_aiohttp(url: str, concurrency: int) -> tuple[Batch, Callable[[], Awaitable[None]]]:
    from eas_client import AsyncEASClient

    client = AsyncEASClient(url, token=TOKEN)

    async def batch(calls: int) -> list[object]:
        return await client.predict_many([BODY] * calls, concurrency=concurrency)

    return batch, client.close


async def _eas_httpx(url: str, concurrency: int) -> tuple[Batch, Callable[[], Awaitable[None]]]:
    import httpx

    from eas_client import AsyncEASClient

    http = httpx.AsyncClient()
    client = AsyncEASClient(url, token=TOKEN, http_client=http)

    async def batch(calls: int) -> list[object]:
        return await client.predict_many([BODY] * calls, concurrency=concurrency)

    async def close() -> None:
        await client.close()
        await http.aclose()

    return batch, close


async def _raw_aiohttp(url: str, concurrency: int) -> tuple[Batch, Callable[[], Awaitable[None]]]:
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))
    sem = asyncio.Semaphore(concurrency)

    async def one() -> object:
        async with sem, session.post(url, data=BODY, headers=HEADERS) as resp:
            return await resp.read()

    async def batch(calls: int) -> list[object]:
        return list(await asyncio.gather(*(one() for _ in range(calls))))

    return batch, session.close


async def _raw_httpx(url: str, concurrency: int) -> tuple[Batch, Callable[[], Awaitable[None]]]:
    import httpx

    client = httpx.AsyncClient()
    sem = asyncio.Semaphore(concurrency)

    async def one() -> object:
        async with sem:
            return (await client.post(url, content=BODY, headers=HEADERS)).content

    async def batch(calls: int) -> list[object]:
        return list(await asyncio.gather(*(one() for _ in range(calls))))

    return batch, client.aclose


# httpx.AsyncClient runs ~20x slower at c=32 (its pool hand-off is CPU-bound), so 20,000 calls
# would take minutes per round; its rate is steady after warm-up, so a fifth of the calls measures
# the same figure and keeps `make bench` short.
SLOW = {"AsyncEASClient.predict_many (httpx engine)", "raw httpx.AsyncClient + Semaphore"}
SLOW_FACTOR = 5

CONTENDERS: dict[str, tuple[Contender, str]] = {
    "AsyncEASClient.predict_many (aiohttp engine)": (_eas_aiohttp, ""),
    "AsyncEASClient.predict_many (httpx engine)": (_eas_httpx, ""),
    "raw aiohttp ClientSession + Semaphore": (_raw_aiohttp, "raw"),
    "raw httpx.AsyncClient + Semaphore": (_raw_httpx, "raw-httpx"),
}


async def _time(name: str, contender: Contender, url: str) -> Sample:
    batch, close = await contender(url, SETTINGS.concurrency)
    try:
        warm = await batch(SETTINGS.async_warmup)  # also opens the connections
        bad = [v for v in warm if v != EXPECTED]
        if bad:
            raise RuntimeError(f"{name} got {bad[0]!r} from the target, expected {EXPECTED!r}")
        gc.collect()
        start = time.perf_counter()
        out = await batch(_calls(name))
        seconds = time.perf_counter() - start
        failed = sum(1 for v in out if v != EXPECTED)
        if failed:
            raise RuntimeError(f"{name}: {failed} of {len(out)} calls failed, e.g. {out[0]!r}")
        return Sample(seconds, len(out))
    finally:
        await close()


def _calls(name: str) -> int:
    return (
        max(SETTINGS.async_warmup, SETTINGS.async_calls // SLOW_FACTOR)
        if name in SLOW
        else SETTINGS.async_calls
    )


def run(quick: bool) -> list[Result]:
    target = nginx()

    def run_one(name: str) -> Sample:
        # A fresh event loop per run: nothing a previous contender left behind is scheduled here.
        return asyncio.run(_time(name, CONTENDERS[name][0], target.url))

    samples = interleave(list(CONTENDERS), SETTINGS.async_rounds, run_one)
    return [
        summarize(
            "async_clients", GROUP, name, samples[name], role=role, note=f"{_calls(name):,} calls per run"
        )
        for name, (_, role) in CONTENDERS.items()
    ]
