"""Batches in, batches out: pandas DataFrames, pyarrow Tables and dicts of numpy arrays gain the
output and error columns; everything else in the batch is kept as it was."""

from __future__ import annotations

from typing import Any

from .. import ConfigError
from ._scoring import BatchResult, Scorer


def score_table(scorer: Scorer, batch: Any) -> tuple[Any, BatchResult]:
    """Score ``batch[input_column]`` and return the batch with the two new columns."""
    opts = scorer.options
    column = opts.input_column
    kind = type(batch).__module__.split(".")[0]
    if kind == "pandas":
        _need(column, list(batch.columns))
        result = scorer.score(batch[column].tolist())
        out = batch.copy()
        out[opts.output_column] = _cells(result.outputs)
        out[opts.error_column] = result.errors
        return out, result
    if kind == "pyarrow":
        import pyarrow as pa

        _need(column, batch.column_names)
        result = scorer.score(batch.column(column).to_pylist())
        outputs = result.outputs
        if opts.output == "array":
            outputs = [None if x is None else x.tolist() for x in outputs]
        table = batch.append_column(opts.output_column, pa.array(outputs))
        return table.append_column(opts.error_column, pa.array(result.errors, type=pa.string())), result
    if isinstance(batch, dict):
        import numpy as np

        _need(column, list(batch))
        result = scorer.score(list(batch[column]))
        out = dict(batch)
        out[opts.output_column] = np.array(_cells(result.outputs), dtype=object)
        out[opts.error_column] = np.array(result.errors, dtype=object)
        return out, result
    raise ConfigError(
        f"cannot score a batch of type {type(batch).__name__}; use batch_format='pandas' or 'pyarrow'"
    )


def _cells(values: list[Any]) -> list[Any]:
    return values


def _need(column: str, names: list[str]) -> None:
    if column not in names:
        raise ConfigError(f"the batch has no column {column!r} (it has {', '.join(map(str, names))})")
