"""Processors used by the runtime tests."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import numpy

from eas_client.server import BaseProcessor


class Echo(BaseProcessor):
    def initialize(self) -> None:
        self.init_calls = getattr(self, "init_calls", 0) + 1

    def process(self, data: bytes) -> Any:
        return data, 200


class Blocking(BaseProcessor):
    """process() waits until released, so tests can fill workers and queue deterministically."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def process(self, data: bytes) -> Any:
        self.entered.release()
        self.release.wait(10)
        return b"done:" + data, 200


class Slow(BaseProcessor):
    def process(self, data: bytes) -> Any:
        time.sleep(float(data))
        return b"slow", 0


class Shapes(BaseProcessor):
    """Returns every shape of result seen in real processors, chosen by the request body."""

    def process(self, data: bytes) -> Any:
        kind = data.decode()
        results: dict[str, Any] = {
            "bytes": (b"\x00raw", 200),
            "str": ("text é", 200),
            "int": (42, 0),
            "float": (0.5, 200),
            "dict": ({"a": [1, 2]}, 200),
            "list": ([1, "x"], 200),
            "none": (None, 200),
            "bare": "bare value",
            "custom": (b"custom error", 462),
            "bad-status": (b"x", 1234),
            "informational": (b"x", 101),
            "numpy-status": (b"np", numpy.int64(201)),
            "set": ({1, 2}, 200),
            "triple": (b"x", 200, {"h": "v"}),
            "generator": ((c for c in b"abc"), 200),
            "nan": ({"loss": float("nan")}, 200),
            "object": object(),
            "no-content": (b"a body that must not be sent", 204),
            "not-modified": (b"nor this one", 304),
        }
        if kind == "raise":
            raise ValueError("cannot parse input")
        return results[kind]


ENDLESS_BOUND = 10_000_000


class Gated(BaseProcessor):
    """Streams b"one", then each later chunk only once the test opens its gate, so a test can see
    that a chunk reached it before the next one existed. The body picks the variant."""

    CHUNKS = (b"two\nlines", "three é")

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.gates = [threading.Event() for _ in self.CHUNKS]
        self.closed = threading.Event()

    def process(self, data: bytes) -> Any:
        if data == b"async":
            return self._async_chunks()
        if data == b"fail-first":
            return self._fail_first()
        if data == b"endless":
            return self._endless()
        if data == b"late":
            return self._late()
        return self._chunks(fail=data == b"fail"), 200

    def _chunks(self, fail: bool) -> Any:
        try:
            yield b"one"
            for gate, chunk in zip(self.gates, self.CHUNKS, strict=True):
                if not gate.wait(10):
                    return
                if fail:
                    raise RuntimeError("model crashed mid-reply")
                yield chunk
        finally:
            self.closed.set()

    async def _async_chunks(self) -> Any:
        try:
            yield b"one"
            for gate, chunk in zip(self.gates, self.CHUNKS, strict=True):
                if not await asyncio.to_thread(gate.wait, 10):
                    return
                yield chunk
        finally:
            self.closed.set()

    def _endless(self) -> Any:
        self.ticks = 0
        try:
            while self.ticks < ENDLESS_BOUND:  # a bound so a broken test cannot spin forever
                self.ticks += 1
                yield b"tick"
        finally:
            self.closed.set()

    def _late(self) -> Any:
        try:
            self.gates[0].wait(10)
            yield b"late"
            yield b"never sent"
        finally:
            self.closed.set()

    def _fail_first(self) -> Any:
        raise ValueError("bad prompt")
        yield b"never"
