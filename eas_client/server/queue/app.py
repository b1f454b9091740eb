"""``eas serve app.py --async``: the gateway port serves an asynchronous-inference service. POSTs to
the service are queued and answered at once; the processor's worker threads consume the input
queue and write each result to ``<service>/sink`` tagged with the input's ``requestId``.

Example::

    from eas_client.testing import LocalRuntime

    with LocalRuntime("app.py", service="demo", async_mode=True, queue_store="sqlite:q.db") as rt:
        ...  # POST rt.endpoint → index; watch rt.endpoint + "/sink" over a WebSocket
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from typing import Any

from ..errors import ServeError
from ..processor import Answer
from .service import PREDICT_PREFIX, QueueError, QueueService, Receive, Scope, Send, reply
from .store import QueueStore

logger = logging.getLogger("eas_client.server.queue")
PROCESSOR_OWNER = "processor"
# Leases are checked this often at most; a lease therefore ends up to this much after it runs out.
SWEEP_S = 0.2


class _DenialFilter(logging.Filter):
    """uvicorn's sans-I/O WebSocket protocol logs "returned without completing handshake" after an
    app refuses a handshake with an HTTP answer (the denial extension), which is how a watch with a
    wrong token is refused on purpose; keep that line out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing handshake" not in record.getMessage()


_DENIAL_FILTER = _DenialFilter()


def parse_store(spec: str | None) -> str | None:
    """``None``/``memory`` → in memory; ``sqlite:PATH`` → that SQLite file."""
    if spec is None or spec == "memory":
        return None
    if spec.startswith("sqlite:") and spec[len("sqlite:") :].strip():
        return spec[len("sqlite:") :].strip()
    raise ServeError(f"--queue-store {spec!r}: write 'memory' or 'sqlite:PATH' (e.g. sqlite:queues.db)")


class AsyncServiceApp:
    """ASGI app for the gateway port of an asynchronous service; ``gateway`` answers the rest."""

    def __init__(self, gateway: Any, *, name: str, store: str | None, lease_s: float) -> None:
        if getattr(gateway, "host", None) is None:
            # A runtime fronting an upstream server or an ASGI app has no process() to consume with.
            raise ServeError("--async serves a processor file (app.py); it cannot front another server")
        self.gateway = gateway
        logging.getLogger("uvicorn.error").addFilter(_DENIAL_FILTER)
        path = parse_store(store)
        try:
            db = QueueStore(path, queues=[name, f"{name}/sink"])
        except Exception as exc:  # sqlite3.Error, OSError: a bad path is the caller's to fix
            raise ServeError(f"--queue-store {store!r}: cannot open the SQLite file: {exc}") from None
        self.queues = QueueService(db, name, lease_s, gateway.settings.max_body)
        self._tasks: list[asyncio.Task[None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "websocket":
            headers = _headers(scope)
            refusal = self._refusal(scope, headers)
            await self.queues.watch(scope, receive, send, refusal)
            return
        if kind == "http" and scope["path"].startswith(PREDICT_PREFIX):
            headers = _headers(scope)
            refusal = self._refusal(scope, headers)
            if refusal is None:
                await self.queues.http(scope, receive, send, headers)
            else:
                await reply(send, refusal.status, str(refusal).encode(), "text/plain")
            return
        await self.gateway(scope, receive, send)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> QueueError | None:
        # The gateway's own checks (token, signature, service name, body size), in its order.
        answer = self.gateway._refuse(scope, headers)
        if answer is None:
            return None
        return QueueError(answer.status, answer.body.decode("utf-8", "replace"))

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the processor consumers and the lease sweeper on the running loop."""
        workers = max(1, self.gateway.settings.worker_threads)
        self._tasks = [asyncio.ensure_future(self._consume(i)) for i in range(workers)]
        self._tasks.append(asyncio.ensure_future(self._sweep()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        self.queues.store.close()

    async def _sweep(self) -> None:
        queues = self.queues
        while True:
            await asyncio.sleep(SWEEP_S)
            if queues.store.expire(queues.now()):
                queues.ring_all()

    async def _consume(self, worker: int) -> None:
        """One processor worker: take an input, run process(), write the result and drop the
        input in one transaction. An input whose process() never finished (a crash, a kill) is
        still in the queue and is processed again after a restart."""
        queues, store = self.queues, self.queues.store
        owner = f"{PROCESSOR_OWNER}:{worker}"
        loop = asyncio.get_running_loop()
        while True:
            event = queues.bells[queues.input].event
            items = store.take(
                queues.input, owner=owner, start=0, limit=1, lease_s=math.inf, now=queues.now()
            )
            if not items:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(event.wait(), 1.0)
                continue
            item = items[0]
            try:
                future = self.gateway.workers.submit(loop, self.gateway.host.call, item.data, _nothing)
                answer: Answer = await future
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # process() machinery failed: report it as the result
                answer = Answer(500, f"processor failed: {exc!r}".encode(), "text/plain")
            message = "" if answer.status == 200 else str(answer.status)
            if store.put_result(queues.sink, item, answer.body, message, queues.input, owner) is not None:
                queues.ring(queues.sink)
                queues.ring(queues.input)


def _nothing() -> None:
    return None


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
