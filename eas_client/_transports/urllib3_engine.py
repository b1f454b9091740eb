"""Sync engine ``engine="urllib3"``: one urllib3 HTTPConnectionPool per origin (faster than
PoolManager, which re-parses every URL), with urllib3's own retries and redirects off: the core
decides. Responses read on the attempt's budget and under the size cap (see ``_bounds``)."""

from __future__ import annotations

import threading
import time
from http.client import RemoteDisconnected
from typing import Any

import urllib3
from urllib3 import exceptions as u3

from .._core.errors import ConfigError, TransportError
from .._core.flow import RawResponse, WireRequest
from ._bounds import CHUNK, read_capped, timed_connection_class
from .base import StreamHead, broke, connect_failed, failed, is_success, settle, timed_out

# read1 (a read that returns what has arrived instead of waiting for a full buffer) is urllib3 2's.
_CAN_STREAM = hasattr(urllib3.HTTPResponse, "read1")


class _Attempt(threading.local):
    """The attempt running on this thread: urllib3 hands us no per-request hook, but it sends and
    reads on the calling thread, so the connection finds its budget here."""

    deadline = 0.0
    received = 0
    reused = False


_ATTEMPT = _Attempt()


def _counting(base: Any) -> type[Any]:
    timed = timed_connection_class(base, lambda conn: _ATTEMPT)

    def connect(self: Any) -> None:
        self.eas_sent = 0
        base.connect(self)

    def request(self: Any, *args: Any, **kwargs: Any) -> None:
        # urllib3 reconnects a dropped connection object in place: only requests since the last
        # connect() count as reuse (CONN-1).
        _ATTEMPT.reused = self.sock is not None and getattr(self, "eas_sent", 0) > 0
        base.request(self, *args, **kwargs)  # may connect(), which resets the count
        self.eas_sent += 1

    return type(timed.__name__, (timed,), {"connect": connect, "request": request})


_CLASSES: dict[Any, type[Any]] = {
    cls: _counting(cls) for cls in (urllib3.connection.HTTPConnection, urllib3.connection.HTTPSConnection)
}
_STALE = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, RemoteDisconnected)


class Urllib3Transport:
    def __init__(self, *, pool_size: int, max_bytes: int | None = None) -> None:
        self._pool_size = pool_size
        self._max_bytes = max_bytes
        self._pools: dict[str, urllib3.HTTPConnectionPool] = {}
        self._timeouts: dict[tuple[float, float], urllib3.Timeout] = {}
        self._lock = threading.Lock()

    def _pool(self, origin: str, fresh: bool = False) -> urllib3.HTTPConnectionPool:
        pool = self._pools.get(origin)
        if pool is None or fresh:
            with self._lock:
                pool = self._pools.get(origin)
                if pool is None or fresh:
                    old = pool
                    pool = urllib3.connection_from_url(
                        origin, maxsize=self._pool_size, block=False, retries=False
                    )
                    pool.ConnectionCls = _CLASSES.get(pool.ConnectionCls, pool.ConnectionCls)
                    self._pools[origin] = pool
                    if old is not None:  # its idle connections are as stale as the one that broke
                        old.close()
        return pool

    def send(self, request: WireRequest) -> RawResponse:
        return self._send(request, False)

    def stream(self, request: WireRequest) -> RawResponse:
        """A 2xx answer comes back as a StreamHead whose body is read on demand (STREAM-1)."""
        if not _CAN_STREAM:
            version = getattr(urllib3, "__version__", "?")
            raise ConfigError(
                f"engine='urllib3' streams with urllib3 2 or later (installed: {version}); "
                "upgrade urllib3 or use the default engine"
            )
        return self._send(request, True)

    def _send(self, request: WireRequest, stream: bool) -> RawResponse:
        method, origin, target, headers, body, timeout, connect_timeout = request
        key = (connect_timeout, timeout)
        tmo = self._timeouts.get(key)
        if tmo is None:
            tmo = self._timeouts[key] = urllib3.Timeout(connect=connect_timeout, read=timeout)
        args = (method, origin, target, headers, body, timeout, tmo, stream)
        result = self._exchange(self._pool(origin), *args)
        if result is None:  # CONN-1: once, at once, on a fresh connection
            result = self._exchange(self._pool(origin, fresh=True), *args)
        return settle(result)

    def _exchange(
        self,
        pool: urllib3.HTTPConnectionPool,
        method: str,
        origin: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
        tmo: urllib3.Timeout,
        stream: bool,
    ) -> RawResponse | TransportError | None:
        """One request and its response; ``None`` when CONN-1 allows sending it again."""
        attempt = _ATTEMPT
        attempt.deadline = time.monotonic() + timeout
        attempt.received = 0
        attempt.reused = False
        resp = None
        try:
            resp = pool.urlopen(
                method,
                target,
                body=body,
                headers=headers,
                retries=False,
                redirect=False,
                timeout=tmo,
                assert_same_host=False,
                preload_content=False,
            )
            if stream and is_success(resp.status):
                return StreamHead(resp.status, resp.headers, b"", _Body(resp, origin + target))
            encoded = "content-encoding" in resp.headers
            data = read_capped(resp.read, None if encoded else resp.length_remaining, self._max_bytes, origin)
        except Exception as exc:  # every engine error becomes one of ours, never a bare traceback
            if resp is not None:
                resp.close()
                resp.release_conn()
            elif attempt.reused and not attempt.received and _is_stale(exc):
                return None
            return map_error(exc, origin + target)
        resp.release_conn()
        return RawResponse(resp.status, resp.headers, data)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


class _Body:
    """A stream's body: ``read1`` on the pooled connection, each read on its own budget."""

    __slots__ = ("_done", "_resp", "_url")

    def __init__(self, resp: Any, url: str) -> None:
        self._resp = resp
        self._url = url
        self._done = False

    def read(self, timeout: float) -> bytes:
        if self._done:
            return b""
        _ATTEMPT.deadline = time.monotonic() + timeout
        error: TransportError | None = None
        try:
            chunk: bytes = self._resp.read1(CHUNK, decode_content=False)
        except Exception as exc:  # mapped, then raised outside this block (SEC-4)
            error = map_error(exc, self._url)
        if error is not None:
            self.close()
            raise error
        if not chunk:
            self._done = True
            self._resp.release_conn()
        return chunk

    def close(self) -> None:
        """STREAM-6: an unread rest closes the connection before it goes back to the pool."""
        if not self._done:
            self._done = True
            self._resp.close()
            self._resp.release_conn()


def _is_stale(exc: BaseException) -> bool:
    """urllib3 reports a closed idle connection as ProtocolError("Connection aborted.", <error>)."""
    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, u3.ProtocolError):
        return any(isinstance(arg, _STALE) for arg in exc.args)
    return isinstance(exc, _STALE)


def map_error(exc: BaseException, url: str) -> TransportError:
    if isinstance(exc, TransportError):  # ResponseTooLargeError from read_capped
        return exc
    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, (u3.ConnectTimeoutError, u3.NewConnectionError, u3.SSLError)):
        return connect_failed(url, f"{_reason(exc)}")
    if isinstance(exc, (u3.ReadTimeoutError, TimeoutError)):
        return timed_out(url)
    if isinstance(exc, (u3.ProtocolError, u3.HTTPError, OSError)):
        return broke(url, f"{_reason(exc)}")
    return failed(url, exc)


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return text.split(">: ", 1)[-1] if ">: " in text else text
