"""Sync default engine: one urllib3 HTTPConnectionPool per origin (faster than PoolManager,
which re-parses every URL), with urllib3's own retries and redirects off: the core decides."""

from __future__ import annotations

import threading

import urllib3
from urllib3 import exceptions as u3

from .._core.errors import ConnectError, ReadError, ReadTimeoutError, TransportError
from .._core.flow import RawResponse


class Urllib3Transport:
    def __init__(self, *, pool_size: int) -> None:
        self._pool_size = pool_size
        self._pools: dict[str, urllib3.HTTPConnectionPool] = {}
        self._timeouts: dict[tuple[float, float], urllib3.Timeout] = {}
        self._lock = threading.Lock()

    def _pool(self, origin: str) -> urllib3.HTTPConnectionPool:
        pool = self._pools.get(origin)
        if pool is None:
            with self._lock:
                pool = self._pools.get(origin)
                if pool is None:
                    pool = urllib3.connection_from_url(
                        origin, maxsize=self._pool_size, block=False, retries=False
                    )
                    self._pools[origin] = pool
        return pool

    def send(
        self,
        method: str,
        origin: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
        connect_timeout: float,
    ) -> RawResponse:
        key = (connect_timeout, timeout)
        tmo = self._timeouts.get(key)
        if tmo is None:
            tmo = self._timeouts[key] = urllib3.Timeout(connect=connect_timeout, read=timeout)
        try:
            resp = self._pool(origin).urlopen(
                method,
                target,
                body=body,
                headers=headers,
                retries=False,
                redirect=False,
                timeout=tmo,
                assert_same_host=False,
                preload_content=True,
            )
        except Exception as exc:  # every engine error becomes one of ours, never a bare traceback
            raise map_error(exc, origin + target) from exc
        return RawResponse(resp.status, resp.headers, resp.data)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


def map_error(exc: BaseException, url: str) -> TransportError:
    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, (u3.ConnectTimeoutError, u3.NewConnectionError, u3.SSLError)):
        return ConnectError(f"cannot connect to {url}: {_reason(exc)}")
    if isinstance(exc, (u3.ReadTimeoutError, TimeoutError)):
        return ReadTimeoutError(f"no response from {url} within the timeout")
    if isinstance(exc, (u3.ProtocolError, u3.HTTPError, OSError)):
        return ReadError(f"connection to {url} broke before a full response: {_reason(exc)}")
    return TransportError(f"request to {url} failed: {type(exc).__name__}: {exc}")


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return text.split(">: ", 1)[-1] if ">: " in text else text
