"""Score a Ray Dataset against an EAS service: one async client per actor, reused across batches.

Example::

    import ray
    from eas_client.integrations.ray import EASPredictor, score_dataset

    ds = ray.data.from_items([{"data": b"2 105"}, {"data": b"1 1"}])
    # the checked path: options and the input column are checked on the driver first
    out = score_dataset(ds, "http://127.0.0.1:8080/api/predict/demo", "T", concurrency=2)
    # or by hand, the same class
    out = ds.map_batches(
        EASPredictor,
        fn_constructor_kwargs={"endpoint": "http://127.0.0.1:8080/api/predict/demo", "token": "T"},
        concurrency=2,
        batch_format="pandas",
    )
    out.take_all()  # rows gain "prediction" (b"True", ...) and "error" (None, ...)
    # Ray tasks instead of actors: clients kept per worker process across batches and jobs
    out = score_dataset(ds, "http://127.0.0.1:8080/api/predict/demo", "T", tasks=2)

Install with ``pip install 'eas-client[ray]'`` on the driver and on every node.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .. import AdaptiveConcurrency, ConfigError
from ._scoring import Scorer, ScoringOptions, Token, check_endpoint, shared_scorer, summary
from ._tables import score_table

log = logging.getLogger("eas_client.integrations")


class EASPredictor:
    """A ``map_batches`` callable class: each actor opens one client on its first batch and keeps it.

    Constructor arguments (``fn_constructor_kwargs``): ``endpoint``, ``token`` (a str or a
    :class:`Token`), ``input_column`` (``"data"``), ``output_column`` (``"prediction"``),
    ``error_column`` (``"error"``), ``output`` (``"bytes"``, ``"text"``, ``"json"`` or
    ``"array"``), ``concurrency`` (calls in flight per actor: an int or ``"auto"``), ``fail_fast``
    (raise the first failed row instead of writing it to the error column); any other keyword is a
    client option (``endpoint_type="direct"``, ``auth="signature"``, ``max_retries``, ...).

    Batches may be pandas DataFrames, pyarrow Tables or dicts of numpy arrays.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | Token | None = None,
        *,
        input_column: str = "data",
        output_column: str = "prediction",
        error_column: str = "error",
        output: str = "bytes",
        concurrency: int | str | AdaptiveConcurrency = 32,
        fail_fast: bool = False,
        **client_options: Any,
    ) -> None:
        self._options = ScoringOptions(
            endpoint,
            token if isinstance(token, Token) else Token(token),
            input_column=input_column,
            output_column=output_column,
            error_column=error_column,
            output=output,
            concurrency=concurrency,
            fail_fast=fail_fast,
            client_options=dict(client_options),
        ).check()
        self._scorer: Scorer | None = None

    def __repr__(self) -> str:
        return f"EASPredictor(endpoint={self._options.endpoint!r}, token='***')"

    def __call__(self, batch: Any) -> Any:
        if self._scorer is None:  # lazily, inside the actor: the loop and sockets live there
            self._scorer = Scorer(self._options)
        table, result = score_table(self._scorer, batch)
        summary(
            "ray batch", self._options.endpoint, result.rows, result.failures, result.retries, result.seconds
        )
        return table

    def __del__(self) -> None:
        scorer, self._scorer = getattr(self, "_scorer", None), None
        if scorer is not None:
            try:
                scorer.close()
            except Exception:  # an interpreter at exit may have torn the loop down already
                pass


def score_batch(batch: Any, *, options: ScoringOptions) -> Any:
    """A ``map_batches`` function (Ray tasks, not actors): the worker process keeps one client per
    ``options`` and reuses it for every later batch and job it runs.

    Ray starts an actor's process for every job (several seconds on a small machine) but keeps
    task workers alive between jobs, so a session that scores many datasets starts each job after
    the first at once. ``score_dataset(..., tasks=N)`` builds the call.

    Example::

        opts = ScoringOptions(endpoint, Token(token)).check()
        out = ds.map_batches(score_batch, fn_kwargs={"options": opts}, batch_format="pandas")
    """
    table, result = score_table(shared_scorer(options), batch)
    summary("ray task", options.endpoint, result.rows, result.failures, result.retries, result.seconds)
    return table


def score_dataset(
    ds: Any,
    endpoint: str | None,
    token: str | None,
    *,
    concurrency: int | str | AdaptiveConcurrency = 32,
    actors: int = 1,
    tasks: int | None = None,
    batch_size: int | None = 4096,
    batch_format: str = "pandas",
    check_reachable: bool = True,
    num_cpus: float | None = None,
    **options: Any,
) -> Any:
    """``ds.map_batches(EASPredictor, ...)`` after checking on the driver what every actor would
    trip on: the options, the input column's presence and type, and (``check_reachable``) that the
    endpoint answers at all. ``actors`` actors each keep ``concurrency`` calls in flight;
    ``num_cpus`` (e.g. 0.25) packs more actors per node, as they mostly wait on the network.
    ``tasks=N`` runs up to N Ray tasks at once instead of actors (:func:`score_batch`): each worker
    process keeps its client across batches and jobs, so a second job in the same Ray session does
    not pay the actors' start again.

    ``batch_size`` rows go to a worker at a time. Ray's own default of 1,024 suits big rows
    (images); for scoring it costs throughput, as every batch (a task, in task mode) pays a fixed
    hand-over in Ray while the worker's calls drain: 4,096 is the default here, and small rows
    (text, JSON) do best at about 2-3 seconds of scoring per batch (10,000 rows at ~4,000 rows/s).
    A worker holds a batch and its answers in memory, so size it by the rows' bytes too.

    Example::

        out = score_dataset(ds, endpoint, token, input_column="text", output="json", actors=4)
    """
    predictor = EASPredictor(endpoint, token, concurrency=concurrency, **options)
    opts = predictor._options
    compute = _compute(actors, tasks)
    _check_schema(ds, opts.input_column)
    if check_reachable:
        check_endpoint(opts)
    fn: Any
    if tasks is None:
        # a Token: its repr is '***' wherever Ray prints the kwargs
        kwargs = {"endpoint": endpoint, "token": opts.token, "concurrency": concurrency, **options}
        fn, fn_args = EASPredictor, {"fn_constructor_kwargs": kwargs}
    else:
        fn, fn_args = score_batch, {"fn_kwargs": {"options": opts}}  # its token is a Token too
    return ds.map_batches(
        fn,
        compute=compute,
        batch_size=batch_size,
        batch_format=batch_format,
        **fn_args,
        **({} if num_cpus is None else {"num_cpus": num_cpus}),
    )


def _compute(actors: int, tasks: int | None) -> Any:
    """The pool: ``actors`` actors, or (``tasks``) up to that many Ray tasks at once."""
    import ray.data

    if tasks is not None and actors != 1:
        raise ConfigError("pass actors=N or tasks=N, not both: tasks=N runs Ray tasks instead of actors")
    size, what = (actors, "actors") if tasks is None else (tasks, "tasks")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        hint = "" if tasks is None else " (Ray tasks at once)"
        raise ConfigError(f"{what} must be an integer >= 1{hint}, got {size!r}")
    return ray.data.ActorPoolStrategy(size=size) if tasks is None else ray.data.TaskPoolStrategy(size=size)


def _check_schema(ds: Any, column: str) -> None:
    schema = ds.schema()
    if schema is None:
        return
    names = list(schema.names)
    if column not in names:
        raise ConfigError(
            f"the dataset has no column {column!r} (it has {', '.join(names)}); pass input_column=..."
        )
    types: Mapping[str, Any] = dict(zip(names, schema.types, strict=False))
    kind = str(types[column]).lower()
    if not any(ok in kind for ok in ("binary", "string", "str", "object", "list", "tensor", "int", "float")):
        raise ConfigError(
            f"column {column!r} has type {types[column]}; score bytes, strings, numbers or lists "
            "(cast the column first)"
        )


__all__ = ["EASPredictor", "ScoringOptions", "Token", "score_batch", "score_dataset"]
