"""What bounds one attempt on the sync engines (spec/protocol.md TIMEOUT-1, LIMIT-1, CONN-1).

http.client, and urllib3 on top of it, time out per socket read, so a peer sending one byte every
half second keeps an attempt alive for ever. Both engines build their response from
``response_class(sock)``, which calls ``sock.makefile("rb")``; handing them a :class:`TimedSocket`
instead makes every read of that response wait at most for what is left of the attempt's budget,
and count the bytes it got (a failure before any byte is what CONN-1 may resend).
"""

from __future__ import annotations

import io
import math
import socket
import time
import zlib
from typing import Any, Protocol

from .._core.errors import ReadError, too_large

# Big enough that a large answer is read in few calls, small enough to stop near the cap.
CHUNK = 256 * 1024


class Meter(Protocol):
    deadline: float
    received: int


class _TimedRaw(io.RawIOBase):
    def __init__(self, sock: socket.socket, meter: Meter) -> None:
        self._sock = sock
        self._meter = meter
        # Like socket.makefile's reader: the socket stays open until this reader closes, even
        # when http.client "passes the connection to the response" and closes its own handle.
        sock._io_refs += 1  # type: ignore[attr-defined]

    def close(self) -> None:
        if not self.closed:
            super().close()
            self._sock._decref_socketios()  # type: ignore[attr-defined]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._meter.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the attempt's timeout ran out")
        self._sock.settimeout(left)
        got = self._sock.recv_into(buffer)
        self._meter.received += got
        return got


class TimedSocket:
    """Stands in for the socket when a response is built; only ``makefile`` is ever used."""

    __slots__ = ("_meter", "_sock")

    def __init__(self, sock: socket.socket, meter: Meter) -> None:
        self._sock = sock
        self._meter = meter

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        return io.BufferedReader(_TimedRaw(self._sock, self._meter))


def timed_connection_class(base: type[Any], meter_of: Any) -> type[Any]:
    """A subclass of an http.client/urllib3 connection class whose responses read on a budget;
    ``meter_of(conn)`` gives the object holding the attempt's deadline and byte count."""

    def response_class(self: Any, sock: socket.socket, *args: Any, **kwargs: Any) -> Any:
        return base.response_class(TimedSocket(sock, meter_of(self)), *args, **kwargs)

    return type(f"Timed{base.__name__}", (base,), {"response_class": response_class, "deadline": math.inf})


def read_capped(read: Any, declared: int | None, cap: int | None, url: str) -> bytes:
    """The whole body through ``read(n)``, stopped with ResponseTooLargeError past ``cap``."""
    if cap is None:
        return bytes(read(None))
    if declared is not None:
        if declared > cap:
            raise too_large(url, cap, declared)
        return bytes(read(None))
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = read(min(CHUNK, cap + 1 - total))
        if not chunk:
            return b"".join(parts)
        total += len(chunk)
        if total > cap:
            raise too_large(url, cap)
        parts.append(chunk)


class CappedGunzip:
    """A gzip body decoded as it arrives (HTTP-3), stopped with ResponseTooLargeError as soon as
    the *decoded* bytes would pass ``cap`` (LIMIT-1). Each decompress call may produce at most what
    is left under the cap, so a small body that expands to gigabytes never costs more than ``cap``
    bytes, whatever the size of the chunks fed. Concatenated members decode one after another, as
    ``gzip.decompress`` does; a body that is not gzip or ends inside a member is a ReadError like
    any broken response.

    >>> import gzip
    >>> body = CappedGunzip(5, "http://h")
    >>> body.feed(gzip.compress(b"hello"))
    >>> body.result()
    b'hello'
    """

    __slots__ = ("_cap", "_decoder", "_parts", "_started", "_total", "_url")

    def __init__(self, cap: int | None, url: str) -> None:
        self._cap = cap
        self._url = url
        self._parts: list[bytes] = []
        self._total = 0
        self._started = False
        self._decoder = zlib.decompressobj(wbits=_GZIP)

    def feed(self, data: bytes) -> None:
        self._started = self._started or bool(data)
        cap = self._cap
        try:
            while data:
                out = self._decoder.decompress(data, 0 if cap is None else cap + 1 - self._total)
                self._total += len(out)
                if cap is not None and self._total > cap:
                    raise too_large(self._url, cap)
                self._parts.append(out)
                if self._decoder.eof:
                    data = self._decoder.unused_data
                    if data:
                        self._decoder = zlib.decompressobj(wbits=_GZIP)
                else:
                    data = self._decoder.unconsumed_tail
        except zlib.error as exc:
            raise ReadError(f"response from {self._url} says gzip but does not decompress: {exc}") from None

    def result(self) -> bytes:
        if self._started and not self._decoder.eof:
            raise ReadError(f"response from {self._url} says gzip but ends inside the compressed data")
        return b"".join(self._parts)


def read_gunzip_capped(read: Any, cap: int | None, url: str) -> bytes:
    """The whole gzip body through ``read(n)``, decoded under ``cap`` (see CappedGunzip)."""
    body = CappedGunzip(cap, url)
    while chunk := read(CHUNK):
        body.feed(chunk)
    return body.result()


_GZIP = 16 + zlib.MAX_WBITS  # zlib's wbits for a gzip header and trailer
