"""Spark scoring in local mode (``local[2]``, Python workers on this venv) against the local
runtime with 3 instances: mapInPandas and the pandas UDF match single-process predict_many row for
row through injected faults, rejected rows land in the error column, and the token shows in no
plan string, log line or Spark log file."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eas_client import ConfigError
from eas_client.testing import LocalRuntime

from ._common import BIG_ROWS, TOKEN, assert_scored, faults, reference, rows, runtime, token_in_files

pyspark = pytest.importorskip("pyspark", reason="the [spark] extra is not installed")
pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

from pyspark.sql import SparkSession  # noqa: E402

from eas_client.integrations.spark import eas_predict_udf, score_dataframe  # noqa: E402

# The engines' own sockets and threads outlive a test's scope (they close at session end).
pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning",
    "ignore::FutureWarning",
    "ignore::ResourceWarning",
    "ignore::pytest.PytestUnraisableExceptionWarning",
)


@pytest.fixture(scope="module")
def rt() -> Iterator[LocalRuntime]:
    with runtime() as service:
        yield service


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    temp = tmp_path_factory.mktemp("spark")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("eas-scoring-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.local.dir", str(temp))
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "200")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("WARN")
    try:
        yield session, temp
    finally:
        session.stop()


def _frame(session: Any, data: list[str]) -> Any:
    return session.createDataFrame([(i, d) for i, d in enumerate(data)], "i long, data string").repartition(2)


@pytest.mark.parametrize(
    ("batch_format", "n", "operator"),
    [("pandas", None, "MapInPandas"), ("arrow", BIG_ROWS, "MapInArrow")],
    ids=["map-in-pandas", "map-in-arrow-20000-rows"],
)
def test_scores_like_predict_many_through_faults(
    rt: LocalRuntime, spark: Any, batch_format: str, n: int | None, operator: str
) -> None:
    session, temp = spark
    data = rows() if n is None else rows(n)
    expected = reference(rt, data)
    faults(rt)
    try:
        before = rt.total_stats()
        out = score_dataframe(
            _frame(session, data),
            rt.endpoint,
            TOKEN,
            output="json",
            output_type="array<double>",
            batch_format=batch_format,
            concurrency=8 if n is None else 16,
            max_retries=8,  # a loaded machine adds timeouts to the injected faults
            timeout=30.0,
        )
        plan = out._jdf.queryExecution().toString()
        assert operator in plan and TOKEN not in plan
        scored = sorted(out.collect(), key=lambda r: r["i"])
        after = rt.total_stats()
    finally:
        rt.set_faults(None)
    assert [r["data"] for r in scored] == data
    assert_scored(data, [r["prediction"] for r in scored], [r["error"] for r in scored], expected)
    assert after["requests"] - before["requests"] > len(data)
    assert token_in_files(temp) == []


@pytest.mark.parametrize(
    ("output", "output_type", "first"),
    [
        ("bytes", None, b"[1.0, 2.0]"),
        ("text", None, "[1.0, 2.0]"),
        ("array", None, [1.0, 2.0]),
        ("json", "array<double>", [1.0, 2.0]),
    ],
)
def test_map_in_arrow_gives_every_output_what_map_in_pandas_gives(
    rt: LocalRuntime, spark: Any, output: str, output_type: str | None, first: Any
) -> None:
    session, _ = spark
    frame = _frame(session, ["1", "2", "bad"])
    got = {}
    for batch_format in ("arrow", "pandas"):
        out = score_dataframe(
            frame, rt.endpoint, TOKEN, output=output, output_type=output_type, batch_format=batch_format
        )
        got[batch_format] = [r.asDict() for r in sorted(out.collect(), key=lambda r: r["i"])]
    assert got["arrow"] == got["pandas"]
    assert got["arrow"][0]["prediction"] == first and got["arrow"][0]["error"] is None
    assert got["arrow"][2]["prediction"] is None
    assert got["arrow"][2]["error"].startswith("BadRequestError(400)")


def test_pandas_udf_with_direct_mode_and_signing(rt: LocalRuntime, spark: Any) -> None:
    session, _ = spark
    data = [str(i) for i in range(1, 301)]
    udf = eas_predict_udf(
        rt.base_url,
        TOKEN,
        output="text",
        service_name="doubler",
        endpoint_type="direct",
        auth="signature",
        concurrency="auto",
    )
    out = _frame(session, data).withColumn("r", udf("data")).select("i", "r.prediction", "r.error")
    scored = sorted(out.collect(), key=lambda r: r["i"])
    assert [r["prediction"] for r in scored] == [f"[{float(d)}, {2 * float(d)}]" for d in data]
    assert all(r["error"] is None for r in scored)


def test_bad_input_fails_on_the_driver(rt: LocalRuntime, spark: Any) -> None:
    session, _ = spark
    df = _frame(session, ["1"])
    with pytest.raises(ConfigError, match="no column 'text'.*input_column"):
        score_dataframe(df, rt.endpoint, TOKEN, input_column="text")
    structs = session.createDataFrame([((1, 2),)], "data struct<a:int,b:int>")
    with pytest.raises(ConfigError, match="StructType.*to_json"):
        score_dataframe(structs, rt.endpoint, TOKEN)
    with pytest.raises(ConfigError, match="'http_client' cannot be sent"):
        eas_predict_udf(rt.endpoint, TOKEN, http_client=object())
    with pytest.raises(ConfigError, match="needs output_type"):
        eas_predict_udf(rt.endpoint, TOKEN, output="json")
    with pytest.raises(ConfigError, match="batch_format must be one of pandas, arrow"):
        score_dataframe(df, rt.endpoint, TOKEN, batch_format="numpy")
    with pytest.raises(ConfigError, match="unreachable from the driver"):
        score_dataframe(df, "http://127.0.0.1:9/api/predict/doubler", TOKEN)


@pytest.fixture
def in_process() -> Iterator[None]:
    """The partition functions run in this process here: close the client they cache after."""
    from eas_client.integrations._scoring import close_shared_scorers

    yield
    close_shared_scorers()


@pytest.mark.usefixtures("in_process")
def test_partition_function_logs_a_summary_without_the_token(
    rt: LocalRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    import pandas as pd

    from eas_client.integrations import spark as module
    from eas_client.integrations._scoring import shared_scorer

    opts = module._options(rt.endpoint, TOKEN, "data", "prediction", "error", "text", 4, False, {})
    assert TOKEN not in repr(opts) and TOKEN not in repr(shared_scorer(opts))
    assert shared_scorer(opts) is shared_scorer(opts)  # one client per worker process
    frames = [pd.DataFrame({"data": ["1", "bad"]}), pd.DataFrame({"data": ["2"]})]
    with caplog.at_level(logging.INFO, logger="eas_client.integrations"):
        scored = list(module.partition_scorer(opts)(iter(frames)))
    assert scored[0]["prediction"][0] == "[1.0, 2.0]" and pd.isna(scored[0]["prediction"][1])
    assert scored[0]["error"][1].startswith("BadRequestError(400)")
    assert scored[1]["prediction"][0] == "[2.0, 4.0]"
    lines = [r.getMessage() for r in caplog.records if r.name == "eas_client.integrations"]
    assert len(lines) == 1 and lines[0].startswith("eas spark task: rows=3 failures=1 retries=0 ")
    assert TOKEN not in caplog.text


@pytest.mark.usefixtures("in_process")
def test_arrow_partition_function_logs_a_summary_without_the_token(
    rt: LocalRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    import pyarrow as pa

    from eas_client.integrations import spark as module

    opts = module._options(rt.endpoint, TOKEN, "data", "prediction", "error", "array", 4, False, {})
    batches = [
        pa.record_batch({"i": [0, 1], "data": ["1", "bad"]}),
        pa.record_batch({"i": [2], "data": ["2"]}),
    ]
    with caplog.at_level(logging.INFO, logger="eas_client.integrations"):
        scored = list(module.arrow_partition_scorer(opts, module.spark_type("array", None))(iter(batches)))
    assert scored[0].schema.names == ["i", "data", "prediction", "error"]
    assert str(scored[0].schema.field("prediction").type) == "list<element: double>"
    assert scored[0].column("prediction").to_pylist() == [[1.0, 2.0], None]
    assert scored[0].column("error")[1].as_py().startswith("BadRequestError(400)")
    assert scored[1].column("prediction").to_pylist() == [[2.0, 4.0]]
    lines = [r.getMessage() for r in caplog.records if r.name == "eas_client.integrations"]
    assert len(lines) == 1 and lines[0].startswith("eas spark task: rows=3 failures=1 retries=0 ")
    assert TOKEN not in caplog.text


def test_no_spark_file_holds_the_token_after_every_job(spark: Any) -> None:
    assert token_in_files(spark[1]) == []
