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

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
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
    """The model directory: the runtime's ``--model-path`` (or app.json ``model_path``) while it
    serves, else ``EAS_MODEL_PATH``, else ``./model`` under the working directory, as EAS mounts it."""
    return _model_path.current or os.environ.get(ENV_MODEL_PATH) or os.path.abspath("model")


class _ModelPath:
    """The model directory of the runtime serving in this process. The runtime sets it instead of
    writing ``os.environ``, so a runtime started inside a test or a notebook changes nothing that
    outlives it; ``eas serve`` and ``python app.py``, which own their process, also export it."""

    def __init__(self) -> None:
        self.current: str | None = None
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def using(self, path: str | None) -> Iterator[None]:
        """``path`` while the block runs (``None`` changes nothing), then the previous value."""
        if path is None:
            yield
            return
        with self._lock:
            previous, self.current = self.current, path
        try:
            yield
        finally:
            with self._lock:
                self.current = previous


_model_path = _ModelPath()


def model_path_in_use(path: str | None) -> contextlib.AbstractContextManager[None]:
    """Make ``get_model_path()`` answer ``path`` while the block runs (the runtime's doing)."""
    return _model_path.using(path)


class _Capture:
    """While ``eas serve`` loads a processor file, ``run()`` records its processor here and returns
    instead of serving, so the file's ``if __name__ == "__main__":`` block configures the processor
    exactly as it would on EAS."""

    def __init__(self) -> None:
        self.processors: list[BaseProcessor] = []
        self.active = False

    def __enter__(self) -> _Capture:
        _capture.slot = self
        self.active = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.active = False
        _capture.slot = None


_capture = threading.local()
# What ``run()`` calls outside ``eas serve``: the foreground server, installed by
# ``eas_client.server`` (which every import of this module goes through). This module stays a leaf
# of the import graph: it never imports the runtime that serves it.
_launcher: Callable[[BaseProcessor], None] | None = None


def use_launcher(launcher: Callable[[BaseProcessor], None]) -> None:
    """Set what ``BaseProcessor.run()`` does outside a capture (``eas_client.server`` sets it)."""
    global _launcher
    _launcher = launcher


def capturing() -> _Capture:
    """Context in which ``run()`` records the processor instead of serving.

    Example::

        with capturing() as capture:
            runpy.run_path("app.py", run_name="__main__")
        processor = capture.processors[-1]
    """
    return _Capture()


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
        """Serve this processor in the foreground until Ctrl-C. While ``eas serve`` loads the file
        it returns at once, handing the configured processor to the runtime."""
        slot: _Capture | None = getattr(_capture, "slot", None)
        if slot is not None and slot.active:
            slot.processors.append(self)
            return
        if _launcher is None:
            raise RuntimeError("import eas_client.server to serve a processor locally")
        _launcher(self)


def _text(value: str | bytes | int) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)
