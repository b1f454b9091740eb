"""Loading a user's processor and turning what ``process()`` returns into an HTTP answer."""

from __future__ import annotations

import json
import numbers
import runpy
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import allspark
from .errors import ServeError
from .streams import Stream, chunk_bytes, is_stream, sync_chunks

# process() may say OK with 0 (the generated template) or 200 (newer code).
OK_STATUSES = (0, 200)
# Sent without a body whatever process() returned (a body would be read as the next response).
NO_BODY_STATUSES = (204, 304)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str


def install_allspark_module() -> None:
    """Make ``import allspark`` find our shim even when the top-level package is not installed."""
    sys.modules.setdefault("allspark", allspark)


def load_processor(source: str | Path | type | allspark.BaseProcessor) -> allspark.BaseProcessor:
    """A processor from a file (run as ``__main__``; its ``run()`` call hands the configured
    instance over), a BaseProcessor subclass, or an instance."""
    if isinstance(source, allspark.BaseProcessor):
        return source
    if isinstance(source, type):
        if not issubclass(source, allspark.BaseProcessor):
            raise TypeError(f"{source.__name__} is not an allspark.BaseProcessor subclass")
        return source()
    path = Path(source)
    if not path.is_file():
        raise ServeError(f"processor file {path} not found")
    install_allspark_module()
    sys.path.insert(0, str(path.resolve().parent))
    try:
        with allspark.capturing() as capture:
            namespace = runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.path.remove(str(path.resolve().parent))
    if capture.processors:
        return capture.processors[-1]  # the processor the file's __main__ block runs
    return _only_processor_class(namespace, path)()


def _only_processor_class(namespace: dict[str, Any], path: Path) -> type[allspark.BaseProcessor]:
    classes = [
        v
        for v in namespace.values()
        if isinstance(v, type) and issubclass(v, allspark.BaseProcessor) and v is not allspark.BaseProcessor
    ]
    if len(classes) != 1:
        names = ", ".join(c.__name__ for c in classes) or "none"
        raise ServeError(
            f"{path} must define exactly one allspark.BaseProcessor subclass (found {names}) "
            "or call MyProcessor(...).run() under if __name__ == '__main__'"
        )
    return classes[0]


class ProcessorHost:
    """Runs ``initialize()`` once and ``process()`` for each request, never letting it kill the server."""

    def __init__(self, processor: allspark.BaseProcessor) -> None:
        self.processor = processor
        self._initialized = False
        self._lock = threading.Lock()

    def initialize(self) -> None:
        with self._lock:
            if not self._initialized:
                self.processor.initialize()
                self._initialized = True

    def call(self, data: bytes) -> Answer | Stream:
        try:
            result = self.processor.process(data)
        except Exception as exc:  # a processor error is the caller's 400, as on EAS
            return _processor_error(exc)
        answer = to_answer(result)
        if isinstance(answer, _Unstarted):
            return answer.start()
        return answer


def _processor_error(exc: Exception) -> Answer:
    message = f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")
    return Answer(400, message, "text/plain; charset=utf-8")


@dataclass(frozen=True)
class _Unstarted:
    """An iterator returned by process(), before its first chunk."""

    status: int
    chunks: Any

    def start(self) -> Answer | Stream:
        """Take the first chunk on the worker, so a generator that fails at once is an ordinary
        error answer (400, or 500 for a chunk of the wrong type), and the head carries the
        content type of the first chunk (str: text/plain, bytes: application/octet-stream)."""
        rest = sync_chunks(self.chunks)
        try:
            first = next((c for c in rest if not isinstance(c, (bytes, str)) or c), None)
        except Exception as exc:
            return _processor_error(exc)
        content_type = "text/plain; charset=utf-8" if isinstance(first, str) else "application/octet-stream"
        try:
            head = None if first is None else chunk_bytes(first)
        except TypeError as exc:
            return Answer(500, str(exc).encode(), "text/plain")
        return Stream(self.status, content_type, head, rest)


def to_answer(result: Any) -> Answer | _Unstarted:
    """``(body, status)`` or a bare body → an HTTP answer. Bodies: bytes as is, str as UTF-8,
    dict/list as JSON, numbers via ``str()``, None as empty, an iterator (a generator, sync or
    async) of bytes or str as a stream. Anything else (a set, a 3-tuple, JSON with NaN, a status
    outside 200-599) is a 500 that says what came back."""
    if isinstance(result, tuple):
        if len(result) != 2 or not _is_int(result[1]):
            return _bad_return(
                f"a {len(result)}-tuple {_kinds(result)}; return (body, status) or a bare body"
            )
        body, status = result[0], int(result[1])
    else:
        body, status = result, 200
    if status in OK_STATUSES:
        status = 200
    if not 200 <= status <= 599:
        return _bad_return(f"invalid status {status}")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return Answer(status, bytes(body), "application/octet-stream")
    if isinstance(body, str):
        return Answer(status, body.encode("utf-8", "replace"), "text/plain; charset=utf-8")
    if isinstance(body, (dict, list)):
        try:
            text = json.dumps(body, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            return _bad_return(f"a {type(body).__name__} that is not valid JSON ({exc})")
        return Answer(status, text.encode("utf-8", "replace"), "application/json")
    if body is None:
        return Answer(status, b"", "application/octet-stream")
    if is_stream(body):
        return Answer(status, b"", "") if status in NO_BODY_STATUSES else _Unstarted(status, body)
    if isinstance(body, numbers.Number):
        return Answer(status, str(body).encode("utf-8"), "text/plain; charset=utf-8")
    return _bad_return(f"a body of type {type(body).__name__}")


def _bad_return(what: str) -> Answer:
    message = (
        f"processor returned {what}; process() must return bytes, str, a dict or list (JSON), "
        "a number or None, optionally as (body, status)"
    )
    return Answer(500, message.encode("utf-8", "replace"), "text/plain")


def _is_int(value: Any) -> bool:
    """An int, or a numpy integer; not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _kinds(items: tuple[Any, ...]) -> str:
    return "(" + ", ".join(type(v).__name__ for v in items[:4]) + (", …" if len(items) > 4 else "") + ")"
