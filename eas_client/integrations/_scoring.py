"""The engine-neutral part of distributed scoring: options checked on the driver, one async client
per worker process on its own event loop thread, and a batch of inputs turned into an output list,
an error list and counts for the summary line.

Why a loop thread and not ``asyncio.run`` per batch: the aiohttp session (and its pooled
connections) belongs to the loop that opened it, so a loop per batch would reconnect every batch.
A private loop thread also works whatever thread the engine calls us from (Ray runs a UDF in its
own threads; Spark in the worker's main thread), even one that already runs a loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pickle
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .. import AdaptiveConcurrency, AsyncEASClient, ConfigError, EASError
from .._core.errors import PayloadError

log = logging.getLogger("eas_client.integrations")

Output = Literal["bytes", "text", "json", "array"]
OUTPUTS: tuple[str, ...] = ("bytes", "text", "json", "array")

# Options that hold live objects: they cannot travel to a worker process.
_LOCAL_ONLY = {
    "http_client": "pass engine='httpx' or leave it out: each worker opens its own connections",
}


class Token:
    """The token on its way to the workers: pickled with the task, never shown.

    ``repr``/``str`` are ``'***'``, so Ray's and Spark's UI strings, task reprs and logs that print
    the constructor arguments show no secret.

    Example::

        t = Token("sk-1")
        assert repr(t) == "Token('***')" and t.reveal() == "sk-1"
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value

    def reveal(self) -> str | None:
        return self._value

    def __repr__(self) -> str:
        return "Token('***')" if self._value is not None else "Token(None)"

    __str__ = __repr__

    def __getstate__(self) -> str | None:
        return self._value

    def __setstate__(self, state: str | None) -> None:
        self._value = state


@dataclass(frozen=True)
class ScoringOptions:
    """What a worker needs to score rows; validated by :meth:`check` on the driver.

    ``concurrency`` is the calls in flight per worker (an int, ``"auto"`` or an
    :class:`AdaptiveConcurrency`); ``output`` is how an answer lands in ``output_column``:
    ``"bytes"`` as received, ``"text"`` decoded UTF-8, ``"json"`` decoded JSON, ``"array"`` a
    numpy array of the decoded JSON (tensors). ``fail_fast=True`` raises the first row's error
    instead of writing it to ``error_column``. ``client_options`` go to :class:`AsyncEASClient`.
    """

    endpoint: str | None
    token: Token = field(repr=False)
    input_column: str = "data"
    output_column: str = "prediction"
    error_column: str = "error"
    output: str = "bytes"
    concurrency: int | str | AdaptiveConcurrency = 32
    fail_fast: bool = False
    client_options: Mapping[str, Any] = field(default_factory=dict)

    def check(self) -> ScoringOptions:
        """Raise :class:`ConfigError` naming the fix for options a worker could not use."""
        if self.output not in OUTPUTS:
            raise ConfigError(f"output must be one of {', '.join(OUTPUTS)}, got {self.output!r}")
        for name in ("input_column", "output_column", "error_column"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ConfigError(f"{name} must be a non-empty column name")
        if self.output_column == self.error_column:
            raise ConfigError("output_column and error_column must differ")
        for name, value in self.client_options.items():
            if name in _LOCAL_ONLY:
                raise ConfigError(f"client option {name!r} cannot be sent to workers: {_LOCAL_ONLY[name]}")
            try:
                pickle.dumps(value)
            except Exception as exc:
                raise ConfigError(
                    f"client option {name!r} cannot be sent to workers ({type(exc).__name__}); "
                    "pass plain values (numbers, strings, dicts, RetryPolicy, RetryBudget)"
                ) from None
        # Building a client checks every option exactly as a worker will (no connection is made).
        AsyncEASClient(self.endpoint, self.token.reveal(), **dict(self.client_options))
        from .._core.adaptive import resolve_concurrency

        resolve_concurrency(self.concurrency)
        return self

    def key(self) -> str:
        """A digest of every option: the per-process client cache key (the token never in clear)."""
        return hashlib.sha256(pickle.dumps(self)).hexdigest()


@dataclass
class BatchResult:
    """One batch scored: ``outputs`` and ``errors`` (``None`` where the row succeeded) in row order."""

    outputs: list[Any]
    errors: list[str | None]
    rows: int
    failures: int
    retries: int
    seconds: float


class _CountingClient(AsyncEASClient):
    """Counts attempts so the summary can report retries (attempts beyond the first)."""

    attempts = 0

    async def _call(self, req: Any, hook: Any = None, stream: bool = False) -> Any:
        raw, attempts = await super()._call(req, hook, stream)
        self.attempts += attempts
        return raw, attempts


class Scorer:
    """One client and one event loop thread, reused for every batch a worker process scores.

    Example::

        scorer = Scorer(ScoringOptions("http://127.0.0.1:8080/api/predict/demo", Token("T")))
        result = scorer.score([b"2 105", b"1 1"])  # result.outputs == [b"True", b"False"]
        scorer.close()
    """

    def __init__(self, options: ScoringOptions) -> None:
        self.options = options
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="eas-scoring", daemon=True)
        self._thread.start()
        self._client = self._run(self._open())

    async def _open(self) -> _CountingClient:
        return _CountingClient(
            self.options.endpoint, self.options.token.reveal(), **dict(self.options.client_options)
        )

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def __repr__(self) -> str:
        return f"Scorer(endpoint={self.options.endpoint!r}, token='***')"

    def score(self, inputs: Sequence[object]) -> BatchResult:
        """Predict every input; an answer or an error string per row (or raise, with fail_fast)."""
        opts = self.options
        start = time.monotonic()
        before = self._client.attempts
        answers = self._run(
            self._client.predict_many(
                [_as_payload(x) for x in inputs], concurrency=opts.concurrency, return_exceptions=True
            )
        )
        outputs: list[Any] = []
        errors: list[str | None] = []
        failures = attempts_failed = 0
        for answer in answers:
            if isinstance(answer, BaseException):
                if opts.fail_fast:
                    raise answer
                failures += 1
                attempts_failed += getattr(answer, "attempts", 0)
                outputs.append(None)
                errors.append(_describe(answer))
                continue
            try:
                outputs.append(_convert(answer, opts.output))
                errors.append(None)
            except ValueError as exc:
                if opts.fail_fast:
                    raise
                failures += 1
                outputs.append(None)
                errors.append(f"{type(exc).__name__}: {exc}")
        attempts = self._client.attempts - before + attempts_failed
        seconds = time.monotonic() - start
        retries = max(0, attempts - len(inputs))
        return BatchResult(outputs, errors, len(inputs), failures, retries, seconds)

    def close(self) -> None:
        self._run(self._client.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()


def summary(task: str, endpoint: str | None, rows: int, failures: int, retries: int, seconds: float) -> None:
    """The per-task summary line (no token: only the endpoint URL, which carries none)."""
    rate = rows / seconds if seconds > 0 else 0.0
    log.info(
        "eas %s: rows=%d failures=%d retries=%d seconds=%.2f req/s=%.1f endpoint=%s",
        task,
        rows,
        failures,
        retries,
        seconds,
        rate,
        endpoint,
    )


_SCORERS: dict[str, Scorer] = {}
_SCORERS_LOCK = threading.Lock()


def shared_scorer(options: ScoringOptions) -> Scorer:
    """The worker process's scorer for these options, made on first use and reused across tasks."""
    key = options.key()
    with _SCORERS_LOCK:
        scorer = _SCORERS.get(key)
        if scorer is None:
            scorer = _SCORERS[key] = Scorer(options)
        return scorer


def close_shared_scorers() -> int:
    """Close this process's cached scorers (their clients, loops and threads); returns how many.

    Worker processes keep theirs until they exit. A driver or a notebook that ran the partition
    functions in-process calls this to release the connections; the next batch opens a new one.

    Example::

        close_shared_scorers()  # after scoring in-process, e.g. in a test
    """
    with _SCORERS_LOCK:
        scorers = list(_SCORERS.values())
        _SCORERS.clear()
    for scorer in scorers:
        scorer.close()
    return len(scorers)


def _as_payload(value: object) -> object:
    """Column cells to request bodies: bytes and str as they are; numpy scalars/arrays as JSON."""
    if isinstance(value, bytes | bytearray | str):
        return bytes(value) if isinstance(value, bytearray) else value
    if value is None:
        raise PayloadError("a row's input is null; drop or fill null rows before scoring")
    tolist = getattr(value, "tolist", None)
    if tolist is not None:
        return json.dumps(tolist()).encode()
    if isinstance(value, dict | list | int | float):
        return json.dumps(value).encode()
    raise PayloadError(f"cannot send a {type(value).__name__} cell; use bytes, str or JSON-able values")


def _convert(answer: Any, output: str) -> Any:
    if output == "bytes":
        return answer
    text = answer.decode() if isinstance(answer, bytes | bytearray) else answer
    if output == "text":
        return text
    value = json.loads(text) if isinstance(text, str) else text
    if output == "array":
        import numpy as np

        return np.asarray(value)
    return value


def _describe(error: BaseException) -> str:
    status = getattr(error, "status", None)
    head = f"{type(error).__name__}" + (f"({status})" if status is not None else "")
    return f"{head}: {error}"


def check_endpoint(options: ScoringOptions, timeout: float = 5.0) -> None:
    """Raise :class:`ConfigError` when the endpoint does not answer from the driver at all.

    Any HTTP answer (even 4xx/5xx) proves the address is reachable; only a connection failure
    stops the job, before any task runs.
    """
    from .. import EASClient, StatusError

    settings = {**options.client_options, "timeout": timeout, "max_retries": 0, "retry_budget": None}
    with EASClient(options.endpoint, options.token.reveal(), **settings) as client:
        try:
            client.request(b"", timeout=timeout)
        except StatusError:
            return
        except EASError as exc:
            raise ConfigError(
                f"the endpoint {options.endpoint} is unreachable from the driver ({type(exc).__name__}); "
                "check the URL, the VPC/security group, or pass check_reachable=False"
            ) from None
