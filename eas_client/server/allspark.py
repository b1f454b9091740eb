"""A local stand-in for EAS's ``allspark`` module, so a processor written for EAS runs unchanged.

Example (the user's ``app.py``, exactly as deployed to EAS)::

    import allspark


    class MyProcessor(allspark.BaseProcessor):
        def initialize(self):
            self.w0, self.w1 = 100, 2

        def process(self, data):
            a, b = (int(x) for x in data.split(b" "))
            return str(self.w1 * a + self.w0 > b).encode(), 200


    if __name__ == "__main__":
        MyProcessor(worker_threads=10).run()  # serves on 127.0.0.1:8080 here

``python app.py`` serves it locally; ``eas serve app.py`` runs the same file with more options.
"""

from __future__ import annotations

import os
import threading
from typing import Any

ENV_MODEL_PATH = "EAS_MODEL_PATH"


class Properties:
    """The process-wide property store of ``allspark.default_properties()``.

    Keys and values may be str, bytes or int (all seen in real processors); they are stored as str.
    """

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._lock = threading.Lock()

    def put(self, key: str | bytes | int, value: str | bytes | int) -> None:
        with self._lock:
            self._values[_text(key)] = _text(value)

    def get(self, key: str | bytes, default: str | None = None) -> str | None:
        with self._lock:
            return self._values.get(_text(key), default)

    def items(self) -> dict[str, str]:
        with self._lock:
            return dict(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __repr__(self) -> str:
        return f"Properties({self.items()!r})"


_PROPERTIES = Properties()


def default_properties() -> Properties:
    """The shared property store (``rpc.keepalive``, ``rpc.worker_threads``, ``rpc.max_queue_size`` …)."""
    return _PROPERTIES


def get_model_path() -> str:
    """The model directory: ``EAS_MODEL_PATH`` (set by ``eas serve --model-path`` or app.json
    ``model_path``), else ``./model`` next to the working directory, as EAS mounts it for you."""
    return os.environ.get(ENV_MODEL_PATH) or os.path.abspath("model")


class CaptureRun(BaseException):
    """Raised by ``run()`` while ``eas serve`` loads a file, handing over the configured processor.
    A BaseException so a processor's own ``except Exception`` cannot swallow it."""

    def __init__(self, processor: BaseProcessor) -> None:
        super().__init__("processor captured")
        self.processor = processor


_capture = threading.local()


class BaseProcessor:
    """Base class of an EAS Python processor: override ``initialize()`` and ``process(data)``."""

    def __init__(
        self,
        worker_threads: int = 5,
        worker_processes: int = 1,
        endpoint: str | None = None,
        io_threads: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.worker_threads = int(worker_threads)
        self.worker_processes = int(worker_processes)
        self.endpoint = endpoint
        self.io_threads = io_threads
        self.extra_options = dict(kwargs)

    def initialize(self) -> None:
        """Load models here; called once before the first request."""

    def process(self, data: bytes) -> Any:
        """Return ``(body, status)``; status 0 or 200 means OK."""
        raise NotImplementedError("override process(self, data) in your processor")

    def get_model_path(self) -> str:
        return get_model_path()

    def run(self) -> None:
        """Serve this processor (blocks). Under ``eas serve`` it hands the processor to the runtime."""
        if getattr(_capture, "active", False):
            raise CaptureRun(self)
        from .runtime import serve_processor

        serve_processor(self)


def capturing() -> _Capturing:
    """Context in which ``run()`` raises :class:`CaptureRun` instead of serving."""
    return _Capturing()


class _Capturing:
    def __enter__(self) -> None:
        _capture.active = True

    def __exit__(self, *exc: object) -> None:
        _capture.active = False


def _text(value: str | bytes | int) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)
