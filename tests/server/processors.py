"""Processors used by the runtime tests."""

from __future__ import annotations

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
