"""Score a Spark DataFrame against an EAS service: one async client per Python worker process,
kept in a module-level cache keyed by the options and reused across partitions and tasks.

Example::

    from eas_client.integrations.spark import eas_predict_udf, score_dataframe

    # mapInPandas: every column kept, "prediction" and "error" added
    out = score_dataframe(df, "http://127.0.0.1:8080/api/predict/demo", "T", input_column="data")
    # mapInArrow: the same columns, Arrow record batches end to end (no pandas on the way)
    out = score_dataframe(df, "http://127.0.0.1:8080/api/predict/demo", "T", batch_format="arrow")
    # a pandas UDF: one struct column holding both
    udf = eas_predict_udf("http://127.0.0.1:8080/api/predict/demo", "T", output="text")
    out = df.withColumn("r", udf("data")).select("data", "r.prediction", "r.error")

Install with ``pip install 'eas-client[spark]'`` where the driver runs and in the workers' Python
(``PYSPARK_PYTHON``). See docs/distributed.md.
"""

# No ``from __future__ import annotations``: pandas_udf reads the type hints at run time.

import time
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql.functions import pandas_udf
from pyspark.sql.pandas.types import to_arrow_type
from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    DataType,
    DoubleType,
    StringType,
    StructField,
    StructType,
    _parse_datatype_string,
)

from .. import AdaptiveConcurrency, ConfigError
from ._scoring import ScoringOptions, Token, check_endpoint, shared_scorer, summary

BATCH_FORMATS = ("pandas", "arrow")
_INPUT_TYPES = ("BinaryType", "StringType", "ArrayType", "IntegerType", "LongType", "DoubleType", "FloatType")


def _options(
    endpoint: str | None,
    token: str | Token | None,
    input_column: str,
    output_column: str,
    error_column: str,
    output: str,
    concurrency: int | str | AdaptiveConcurrency,
    fail_fast: bool,
    client_options: dict[str, Any],
) -> ScoringOptions:
    return ScoringOptions(
        endpoint,
        token if isinstance(token, Token) else Token(token),
        input_column=input_column,
        output_column=output_column,
        error_column=error_column,
        output=output,
        concurrency=concurrency,
        fail_fast=fail_fast,
        client_options=client_options,
    ).check()


def spark_type(output: str, declared: "str | DataType | None") -> DataType:
    """The Spark type of the output column: declared, else from ``output`` (json needs one)."""
    if declared is not None:
        return _parse_datatype_string(declared) if isinstance(declared, str) else declared
    if output == "bytes":
        return BinaryType()
    if output == "text":
        return StringType()
    if output == "array":
        return ArrayType(DoubleType())
    raise ConfigError("output='json' needs output_type (e.g. 'array<double>' or 'struct<label:string>')")


def _score_frame(opts: ScoringOptions, frame: pd.DataFrame) -> tuple[pd.DataFrame, int, int, int]:
    scorer = shared_scorer(opts)
    result = scorer.score(frame[opts.input_column].tolist())
    out = frame.copy()
    out[opts.output_column] = [_arrow_ready(v) for v in result.outputs]
    out[opts.error_column] = result.errors
    return out, result.rows, result.failures, result.retries


def _arrow_ready(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)
    return tolist() if tolist is not None else value


def partition_scorer(opts: ScoringOptions) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The ``mapInPandas`` function: each frame gains the two columns; one summary per partition."""

    def score_partition(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        rows = failures = retries = 0
        start = time.monotonic()
        for frame in frames:
            scored, n, f, r = _score_frame(opts, frame)
            rows, failures, retries = rows + n, failures + f, retries + r
            yield scored
        summary("spark task", opts.endpoint, rows, failures, retries, time.monotonic() - start)

    score_partition.__name__ = "eas_score_partition"  # what the Spark UI shows: no option, no token
    return score_partition


def arrow_partition_scorer(
    opts: ScoringOptions, output_type: DataType
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: each record batch gains the two columns, typed as the schema
    says (``output_type`` for the answers), with no pandas conversion; one summary per partition."""
    arrow_type = to_arrow_type(output_type)

    def score_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        rows = failures = retries = 0
        start = time.monotonic()
        for batch in batches:
            result = shared_scorer(opts).score(batch.column(opts.input_column).to_pylist())
            answers = pa.array([_arrow_ready(v) for v in result.outputs], type=arrow_type)
            errors = pa.array(result.errors, type=pa.string())
            yield pa.RecordBatch.from_arrays(
                [*batch.columns, answers, errors],
                names=[*batch.schema.names, opts.output_column, opts.error_column],
            )
            rows, failures, retries = rows + result.rows, failures + result.failures, retries + result.retries
        summary("spark task", opts.endpoint, rows, failures, retries, time.monotonic() - start)

    score_partition.__name__ = "eas_score_partition"  # what the Spark UI shows: no option, no token
    return score_partition


def eas_predict_udf(
    endpoint: str | None,
    token: str | None,
    *,
    output: str = "bytes",
    output_type: "str | DataType | None" = None,
    output_column: str = "prediction",
    error_column: str = "error",
    concurrency: int | str | AdaptiveConcurrency = 32,
    fail_fast: bool = False,
    **client_options: Any,
) -> Any:
    """A pandas UDF returning a struct ``<output_column, error_column>`` for one input column.

    Example::

        udf = eas_predict_udf(endpoint, token, output="json", output_type="array<double>")
        df.select(udf("features").alias("r")).select("r.*")
    """
    opts = _options(
        endpoint, token, "data", output_column, error_column, output, concurrency, fail_fast, client_options
    )
    schema = StructType(
        [
            StructField(output_column, spark_type(output, output_type), True),
            StructField(error_column, StringType(), True),
        ]
    )

    def predict(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        rows = failures = retries = 0
        start = time.monotonic()
        for series in batches:
            scored, n, f, r = _score_frame(opts, pd.DataFrame({"data": series}))
            rows, failures, retries = rows + n, failures + f, retries + r
            yield scored[[output_column, error_column]]
        summary("spark task", opts.endpoint, rows, failures, retries, time.monotonic() - start)

    predict.__name__ = "eas_predict"  # what the Spark UI shows: no option, no token
    return pandas_udf(predict, returnType=schema)


def score_dataframe(
    df: DataFrame,
    endpoint: str | None,
    token: str | None,
    *,
    input_column: str = "data",
    output: str = "bytes",
    output_type: "str | DataType | None" = None,
    output_column: str = "prediction",
    error_column: str = "error",
    concurrency: int | str | AdaptiveConcurrency = 32,
    fail_fast: bool = False,
    check_reachable: bool = True,
    batch_format: str = "pandas",
    **client_options: Any,
) -> DataFrame:
    """Every column kept, the output and error columns appended, after the driver has checked the
    options, the input column and (``check_reachable``) the endpoint.

    ``batch_format="pandas"`` runs ``df.mapInPandas``; ``"arrow"`` runs ``df.mapInArrow`` (Spark
    >= 3.3), which hands the worker Arrow record batches and takes them back with no pandas
    conversion on the way: the same rows, columns and errors, less work per row.

    Example::

        out = score_dataframe(df, endpoint, token, output="text", batch_format="arrow")
    """
    if batch_format not in BATCH_FORMATS:
        raise ConfigError(f"batch_format must be one of {', '.join(BATCH_FORMATS)}, got {batch_format!r}")
    opts = _options(
        endpoint,
        token,
        input_column,
        output_column,
        error_column,
        output,
        concurrency,
        fail_fast,
        client_options,
    )
    names = df.schema.names
    if input_column not in names:
        raise ConfigError(
            f"the DataFrame has no column {input_column!r} (it has {', '.join(names)}); pass input_column=..."
        )
    kind = type(df.schema[input_column].dataType).__name__
    if kind not in _INPUT_TYPES:
        raise ConfigError(
            f"column {input_column!r} is {kind}; score binary, string, numeric or array columns "
            "(cast it first, e.g. to_json(col) for a struct)"
        )
    for taken in (output_column, error_column):
        if taken in names:
            raise ConfigError(f"the DataFrame already has a column {taken!r}; pick another name")
    if check_reachable:
        check_endpoint(opts)
    answer_type = spark_type(output, output_type)
    schema = StructType(
        list(df.schema.fields)
        + [
            StructField(output_column, answer_type, True),
            StructField(error_column, StringType(), True),
        ]
    )
    if batch_format == "arrow":
        return df.mapInArrow(arrow_partition_scorer(opts, answer_type), schema)
    return df.mapInPandas(partition_scorer(opts), schema)


__all__ = ["BATCH_FORMATS", "Token", "eas_predict_udf", "score_dataframe", "spark_type"]
