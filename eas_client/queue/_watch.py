"""The watch (spec/protocol.md QUEUE-11…13): a WebSocket that delivers each queue item once,
reconnects with backoff after a drop and resumes after the last item delivered.

:class:`AsyncWatch` is the one implementation (the ``websockets`` asyncio client, from the
``[queue]`` extra); :class:`Watch`, the sync twin, runs it on a private event loop in a small thread,
so pings are sent and answered while the caller is busy with a frame. Which frames reach the caller,
where a reconnect resumes and how long it waits come from the pure ``_core.watch`` state machine.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._core.dataframe import DataFrame, decode_dataframe
from .._core.errors import ConfigError, ConnectError, EASError, PayloadError, ReadError, error_for_status
from .._core.queue import watch_params
from .._core.watch import WatchState, reconnect_delay

if TYPE_CHECKING:
    from ._base import QueueBase

logger = logging.getLogger("eas_client")
# QUEUE-11: close() waits this long for the server's close frame, then drops the connection.
CLOSE_TIMEOUT_S = 1.0
_NORMAL_CLOSE = 1000


def _websockets() -> Any:
    try:
        from websockets.asyncio import client
    except ImportError:
        raise ConfigError("watch() needs the websockets package: pip install 'eas-client[queue]'") from None
    return client


class AsyncWatch:
    """An async iterator of :class:`~eas_client.queue.DataFrame` from a queue, made by
    :meth:`AsyncQueueClient.watch`; ``close()`` (or ``async with``) ends it.

    Example::

        async with client.watch(window=32) as frames:
            async for frame in frames:
                await client.commit([frame.index])
    """

    def __init__(
        self,
        client: QueueBase,
        index: int = 0,
        *,
        window: int,
        index_only: bool,
        auto_commit: bool,
        tags: Mapping[str, str] | None,
    ) -> None:
        self._args: dict[str, Any] = {
            "window": window,
            "index_only": index_only,
            "auto_commit": auto_commit,
            "tags": None if tags is None else dict(tags),
        }
        watch_params(index, **self._args)  # QUEUE-4: bad arguments fail here, before any I/O
        self._client = client
        self._state = WatchState(start=index, max_reconnects=client.max_reconnects)
        self._ws: Any = None
        self._pinger: asyncio.Task[None] | None = None
        self._closed = False
        self._closing = asyncio.Event()

    @property
    def last_index(self) -> int | None:
        """The highest index delivered so far (a new watch can resume from it + 1)."""
        return self._state.last

    def __aiter__(self) -> AsyncWatch:
        return self

    async def __aenter__(self) -> AsyncWatch:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def __anext__(self) -> DataFrame:
        while True:
            if self._closed:
                raise StopAsyncIteration
            if self._ws is None:
                await self._connect()
                continue
            try:
                message = await self._ws.recv()
            except Exception as exc:  # the connection ended: a close frame, a drop or an abort
                if self._closed:
                    raise StopAsyncIteration from None
                code = getattr(getattr(exc, "rcvd", None), "code", None)
                if code == _NORMAL_CLOSE:  # QUEUE-11: the server ended the stream
                    await self.close()
                    raise StopAsyncIteration from None
                await self._lost(ReadError(f"watch connection lost ({_describe(exc)})"))
                continue
            frame = await self._frame(message)
            if self._state.offer(frame.index):
                return frame

    async def _frame(self, message: object) -> DataFrame:
        """QUEUE-11: one binary message is one DataFrame; anything else ends the watch."""
        try:
            if not isinstance(message, bytes):
                raise PayloadError("watch received a text message; frames must be binary DataFrames")
            if not message:
                raise PayloadError("watch received an empty message; frames must be DataFrames")
            frame = decode_dataframe(message, "watch frame")
            if frame.index < 1:
                raise PayloadError(f"watch received a frame with index {frame.index}; items start at 1")
            return frame
        except PayloadError as exc:
            exc.endpoint = self._client.queue_url
            await self.close()
            raise exc.with_traceback(None) from None

    async def _connect(self) -> None:
        ws_client = _websockets()
        cfg = self._client.config
        url, headers = self._client._watch_target(self._state.resume_index(), **self._args)
        try:
            ws = await ws_client.connect(
                url,
                additional_headers=list(dict(headers).items()),
                user_agent_header=None,  # ours is among the headers (HDR-1)
                compression=None,  # QUEUE-11: no extension
                open_timeout=cfg.connect_timeout,
                ping_interval=None,  # our own keep-alive below counts pongs (QUEUE-13)
                close_timeout=CLOSE_TIMEOUT_S,
                max_size=cfg.max_response_bytes,
                proxy=None,
            )
        except Exception as exc:
            await self._lost(self._handshake_error(exc))
            return
        if self._closed:
            await ws.close()
            return
        logger.debug("eas watch connected to %s", url)
        self._ws = ws
        self._pinger = asyncio.ensure_future(self._keepalive(ws))

    def _handshake_error(self, exc: Exception) -> EASError:
        """A refused handshake is its status's error (raised unless retried); others connect errors."""
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        if not isinstance(status, int):
            return ConnectError(f"watch could not connect ({_describe(exc)})")
        cfg = self._client.config
        error = error_for_status(
            status,
            bytes(getattr(response, "body", b"") or b""),
            dict(getattr(response, "headers", {}) or {}),
            endpoint=self._client.queue_url,
            service=cfg.endpoint.service,
            attempts=self._state.failures + 1,
            token=cfg.token,
        )
        if status not in cfg.retry.retry_statuses:
            self._closed = True
            raise error
        return error

    async def _lost(self, error: EASError) -> None:
        """QUEUE-13: count the failure, give up past max_reconnects, else wait and reconnect."""
        await self._drop()
        if not self._state.dropped():
            error.endpoint, error.attempts = self._client.queue_url, self._state.failures
            self._closed = True
            raise error
        delay = reconnect_delay(self._state.failures, self._client._inner._rand())
        logger.debug(
            "eas watch %s: %s; reconnect %d in %.3fs from _index_=%d",
            self._client.queue_url,
            error.message,
            self._state.failures,
            delay,
            self._state.resume_index(),
        )
        try:
            await asyncio.wait_for(self._closing.wait(), delay)  # close() ends the wait at once
        except asyncio.TimeoutError:
            pass

    async def _keepalive(self, ws: Any) -> None:
        """QUEUE-11: ping every ping_interval; no pong within ping_timeout means the link is dead."""
        client = self._client
        try:
            while True:
                await asyncio.sleep(client.ping_interval)
                pong = await ws.ping()
                await asyncio.wait_for(pong, client.ping_timeout)
                self._state.alive()
        except asyncio.TimeoutError:
            logger.debug("eas watch %s: no pong within %ss", client.queue_url, client.ping_timeout)
            ws.transport.abort()  # recv() now fails: a drop, and the reconnect follows
        except Exception:  # the connection closed under us; recv() reports it
            return

    async def _drop(self) -> None:
        ws, self._ws = self._ws, None
        if self._pinger is not None:
            self._pinger.cancel()
            self._pinger = None
        if ws is not None:
            ws.transport.abort()

    async def close(self) -> None:
        """End the watch: a close frame to the server (waiting at most 1 s for its answer), then the
        iteration stops. Safe to call more than once and from another task."""
        if self._closed and self._ws is None:
            return
        self._closed = True
        self._closing.set()
        ws, self._ws = self._ws, None
        if self._pinger is not None:
            self._pinger.cancel()
            self._pinger = None
        if ws is not None:
            await ws.close()


class Watch:
    """An iterator of :class:`~eas_client.queue.DataFrame` from a queue, made by
    :meth:`QueueClient.watch`; ``close()`` (or ``with``) ends it, also from another thread.

    Example::

        with sink.watch() as frames:
            for frame in frames:
                sink.commit([frame.index])
    """

    def __init__(self, client: QueueBase, index: int = 0, **kwargs: Any) -> None:
        self._async = AsyncWatch(client, index, **kwargs)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="eas-queue-watch", daemon=True)
        self._thread.start()
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def last_index(self) -> int | None:
        return self._async.last_index

    def __iter__(self) -> Watch:
        return self

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __next__(self) -> DataFrame:
        if self._stopped:
            raise StopIteration
        future = asyncio.run_coroutine_threadsafe(self._async.__anext__(), self._loop)
        try:
            return future.result()
        except (StopAsyncIteration, concurrent.futures.CancelledError):  # ended, or closed meanwhile
            self.close()
            raise StopIteration from None
        except EASError:
            self.close()
            raise

    def close(self) -> None:
        """Close the connection and stop the watch's thread; safe to call more than once."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(CLOSE_TIMEOUT_S + 5)
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join()
                self._loop.close()

    async def _shutdown(self) -> None:
        """Close the watch, then end every task of the loop, so a ``__next__`` waiting in another
        thread returns instead of waiting on a loop that stopped."""
        await self._async.close()
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not me]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _describe(exc: BaseException) -> str:
    """An engine error as text, without keeping the object (its frames hold the headers: SEC-4)."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
