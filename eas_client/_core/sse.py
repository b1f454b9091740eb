"""Incremental, sans-IO readers of a stream body: lines (STREAM-7) and Server-Sent Events (STREAM-8).

Both take the body's bytes as they arrive, in chunks of any size, and hand back what the chunk
completed. Neither touches a socket, so one implementation serves both twins and every engine::

    parser = EventParser()
    for chunk in (b"data: hel", b"lo\\n\\n"):
        for event in parser.feed(chunk):
            print(event.data)  # hello
    parser.end()  # raises StreamIncompleteError if the body stopped mid-event

An error found inside a chunk does not hide what came before it: ``feed`` returns the items
completed before the bad line and keeps the error in ``failed`` for the caller to raise once it
delivered them (``feed`` and ``end`` raise it too).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from .errors import StreamError, StreamIncompleteError, StreamProtocolError

# STREAM-7: a pending line (and an event's joined data) may hold at most 1 MiB. Far above any
# token event, and it bounds what a server that never sends a line end can make us hold.
MAX_LINE_BYTES = 1024 * 1024
# STREAM-1: what a stream asks for unless the caller sets Accept.
EVENT_STREAM = "text/event-stream"
_BOM = b"\xef\xbb\xbf"
# STREAM-8: a reconnection time must fit a signed 64-bit integer in every language.
_MAX_RETRY = 2**63 - 1


class ServerSentEvent(NamedTuple):
    """One dispatched event. ``id`` is the last event ID, ``retry`` the reconnection time in ms.

    Example::

        event = ServerSentEvent("message", '{"a": 1}')
        event.json()  # {'a': 1}
    """

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None

    def json(self) -> Any:
        """``data`` parsed as JSON."""
        return json.loads(self.data)


class LineDecoder:
    """Splits a body into text lines: CRLF, LF or CR ends a line, a leading BOM is dropped, each
    line is UTF-8 of at most ``max_line_bytes``."""

    __slots__ = ("_pending", "_skip_lf", "_at_start", "max_line_bytes", "failed", "ended_open")

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self._pending = b""  # the start of a line whose end has not arrived
        self._skip_lf = False  # the last chunk ended in CR: an LF opening the next one is its pair
        self._at_start = True  # the BOM can only be the body's first three bytes
        self.max_line_bytes = max_line_bytes
        self.failed: StreamError | None = None
        self.ended_open = False  # end(): the last line had no line end

    def feed(self, chunk: bytes) -> list[str]:
        """The lines this chunk completed."""
        if self.failed is not None:
            raise self.failed
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 10:  # LF
                chunk = chunk[1:]
        self._skip_lf = chunk[-1:] == b"\r"
        data = self._pending + chunk if self._pending else chunk
        if self._at_start:
            if len(data) < 3 and _BOM.startswith(data):
                self._pending = data
                return []
            self._at_start = False
            if data[:3] == _BOM:
                data = data[3:]
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        cut = data.rfind(b"\n")
        if cut < 0:
            self._pending = data
            self._check_pending()
            return []
        self._pending = data[cut + 1 :]
        whole = data[:cut]
        try:
            text = whole.decode("utf-8")
        except UnicodeDecodeError:
            return self._salvage(whole)
        lines = text.split("\n")
        if len(whole) > self.max_line_bytes:
            lines = self._cut_long(lines)
        if self.failed is None:
            self._check_pending()
        return lines

    def end(self) -> str | None:
        """The body ended: the last line if it had no line end (``None`` when there is none)."""
        if self.failed is not None:
            raise self.failed
        rest, self._pending = self._pending, b""
        self._at_start = False
        if not rest:
            return None
        self.ended_open = True
        try:
            return rest.decode("utf-8")
        except UnicodeDecodeError:
            raise _bad_utf8() from None

    def _check_pending(self) -> None:
        if len(self._pending) > self.max_line_bytes:
            self._pending = b""
            self.failed = _too_long(self.max_line_bytes, "a line")

    def _cut_long(self, lines: list[str]) -> list[str]:
        for i, line in enumerate(lines):
            if len(line) * 4 > self.max_line_bytes and len(line.encode("utf-8")) > self.max_line_bytes:
                self.failed = _too_long(self.max_line_bytes, "a line")
                return lines[:i]
        return lines

    def _salvage(self, whole: bytes) -> list[str]:
        """A chunk holding invalid UTF-8: the lines before the bad one, then the error."""
        out: list[str] = []
        for raw in whole.split(b"\n"):
            if len(raw) > self.max_line_bytes:
                self.failed = _too_long(self.max_line_bytes, "a line")
                return out
            try:
                out.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                self.failed = _bad_utf8()
                return out
        return out  # pragma: no cover - the whole did not decode, so one line cannot either


class EventParser:
    """The WHATWG event-stream interpretation over :class:`LineDecoder` lines (STREAM-8)."""

    __slots__ = ("_lines", "_data", "_data_chars", "_event", "_last_id", "_retry", "failed")

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self._lines = LineDecoder(max_line_bytes)
        self._data: list[str] = []
        self._data_chars = 0  # a cheap bound on the joined data's size in bytes
        self._event = ""
        self._last_id = ""
        self._retry: int | None = None
        self.failed: StreamError | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The events this chunk completed (a dispatching blank line included)."""
        if self.failed is not None:
            raise self.failed
        lines = self._lines.feed(chunk)
        out = self._take(lines) if lines else []
        if self.failed is None and self._lines.failed is not None:
            self.failed = self._lines.failed
        return out

    def end(self) -> None:
        """The body ended; raises :class:`StreamIncompleteError` if it stopped mid-event."""
        if self.failed is not None:
            raise self.failed
        last = self._lines.end()
        if last is not None:
            self._take([last])
            if self.failed is not None:
                raise self.failed
        if self._data or self._event or self._lines.ended_open:
            raise StreamIncompleteError(
                "the stream ended in the middle of an event (no blank line after its last field); "
                "the server or a proxy cut the answer short"
            )

    def _take(self, lines: list[str]) -> list[ServerSentEvent]:
        out: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    out.append(
                        ServerSentEvent(self._event or "message", "\n".join(data), self._last_id, self._retry)
                    )
                    data.clear()
                    self._data_chars = 0
                self._event = ""
                continue
            if line[0] == ":":
                continue
            name, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
                self._data_chars += len(value) + 1
                if self._data_chars * 4 > self._lines.max_line_bytes + 4 and self._data_too_long():
                    self.failed = _too_long(self._lines.max_line_bytes, "an event's data")
                    return out
            elif name == "event":
                self._event = value
            elif name == "id":
                if "\0" not in value:
                    self._last_id = value
            elif name == "retry":
                if value and value.isascii() and value.isdigit() and int(value) <= _MAX_RETRY:
                    self._retry = int(value)
        return out

    def _data_too_long(self) -> bool:
        return sum(len(v.encode("utf-8")) + 1 for v in self._data) - 1 > self._lines.max_line_bytes


def is_event_stream(content_type: str | None) -> bool:
    """STREAM-8: the media type, before any parameters, is ``text/event-stream`` in any case."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == EVENT_STREAM


def _too_long(limit: int, what: str) -> StreamProtocolError:
    return StreamProtocolError(
        f"{what} in the stream is longer than {limit} bytes; this is not an event stream of "
        "reasonable events (read it with iter_bytes() to take a body of any shape)"
    )


def _bad_utf8() -> StreamProtocolError:
    return StreamProtocolError(
        "a line of the stream is not valid UTF-8; read it with iter_bytes() to take raw bytes"
    )
