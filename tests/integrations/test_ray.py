"""Ray Data scoring on a real local Ray (2 CPUs, no dashboard) against the local runtime with 3
instances: the answers match single-process predict_many row for row through injected faults,
rejected rows land in the error column, and the token shows in no repr, log line or Ray log file."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eas_client import BadRequestError, ConfigError
from eas_client.testing import LocalRuntime

from ._common import BIG_ROWS, TOKEN, assert_scored, faults, reference, rows, runtime, token_in_files

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")
pa = pytest.importorskip("pyarrow")
pytest.importorskip("pandas")

from eas_client.integrations.ray import EASPredictor, score_dataset  # noqa: E402

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
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    temp = tmp_path_factory.mktemp("ray")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        _temp_dir=str(temp),
        runtime_env={"env_vars": {"RAY_DATA_DISABLE_PROGRESS_BARS": "1"}},
    )
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    try:
        yield temp
    finally:
        ray.shutdown()


def _dataset(data: list[str]) -> Any:
    return ray.data.from_items([{"i": i, "data": d} for i, d in enumerate(data)])


def test_scores_20000_rows_like_predict_many_through_faults(rt: LocalRuntime, cluster: Path) -> None:
    data = rows(BIG_ROWS)
    expected = reference(rt, data)
    faults(rt)
    try:
        before = rt.total_stats()
        out = score_dataset(
            _dataset(data),
            rt.endpoint,
            TOKEN,
            output="json",
            concurrency=16,
            actors=2,
            batch_size=1000,
            num_cpus=0.5,
            max_retries=8,  # a loaded machine adds timeouts to the injected faults
            timeout=30.0,
        )
        scored = sorted(out.take_all(), key=lambda r: r["i"])
        after = rt.total_stats()
    finally:
        rt.set_faults(None)
    assert [r["data"] for r in scored] == data  # every row once, other columns kept
    assert_scored(data, [r["prediction"] for r in scored], [r["error"] for r in scored], expected)
    assert after["requests"] - before["requests"] > len(data)  # faults were hit and retried
    assert token_in_files(cluster) == []  # no Ray log, spill or session file holds the token


def test_tasks_score_like_predict_many_job_after_job(rt: LocalRuntime, cluster: Path) -> None:
    data = rows(2000)
    expected = reference(rt, data)
    faults(rt)
    try:
        for _ in range(2):  # the second job runs on the task workers (and clients) of the first
            out = score_dataset(
                _dataset(data), rt.endpoint, TOKEN, output="json", concurrency=16, tasks=2,
                batch_size=500, max_retries=8, timeout=30.0,
            )  # fmt: skip
            assert "score_batch" in str(out) and TOKEN not in str(out)
            scored = sorted(out.take_all(), key=lambda r: r["i"])
            assert [r["data"] for r in scored] == data
            assert_scored(data, [r["prediction"] for r in scored], [r["error"] for r in scored], expected)
    finally:
        rt.set_faults(None)


def test_pyarrow_batches_with_direct_mode_and_signing(rt: LocalRuntime, cluster: Path) -> None:
    data = [str(i) for i in range(1, 301)]
    out = _dataset(data).map_batches(
        EASPredictor,
        fn_constructor_kwargs={
            "endpoint": rt.base_url,
            "token": TOKEN,
            "service_name": "doubler",
            "endpoint_type": "direct",
            "auth": "signature",
            "output": "text",
            "concurrency": "auto",
        },
        compute=ray.data.ActorPoolStrategy(size=1),
        batch_format="pyarrow",
        batch_size=100,
    )
    scored = sorted(out.take_all(), key=lambda r: r["i"])
    assert [r["prediction"] for r in scored] == [f"[{float(d)}, {2 * float(d)}]" for d in data]
    assert all(r["error"] is None for r in scored)


def test_fail_fast_stops_the_job(rt: LocalRuntime, cluster: Path) -> None:
    ds = _dataset(["1", "bad", "3"]).map_batches(
        EASPredictor,
        fn_constructor_kwargs={"endpoint": rt.endpoint, "token": TOKEN, "fail_fast": True},
        compute=ray.data.ActorPoolStrategy(size=1),
        batch_format="pandas",
    )
    with pytest.raises(Exception) as caught:
        ds.take_all()
    assert "BadRequestError" in str(caught.value) and TOKEN not in str(caught.value)


def test_bad_input_fails_on_the_driver(rt: LocalRuntime, cluster: Path) -> None:
    ds = _dataset(["1"])
    with pytest.raises(ConfigError, match="no column 'text'.*input_column"):
        score_dataset(ds, rt.endpoint, TOKEN, input_column="text")
    with pytest.raises(ConfigError, match="'http_client' cannot be sent"):
        score_dataset(ds, rt.endpoint, TOKEN, http_client=object())
    with pytest.raises(ConfigError, match="output must be one of"):
        score_dataset(ds, rt.endpoint, TOKEN, output="tensor")
    with pytest.raises(ConfigError, match="tasks must be an integer >= 1"):
        score_dataset(ds, rt.endpoint, TOKEN, tasks=0)
    with pytest.raises(ConfigError, match="pass actors=N or tasks=N, not both"):
        score_dataset(ds, rt.endpoint, TOKEN, actors=2, tasks=2)
    with pytest.raises(ConfigError, match="unreachable from the driver"):
        score_dataset(ds, "http://127.0.0.1:9/api/predict/doubler", TOKEN)


def test_predictor_in_process_logs_a_summary_without_the_token(
    rt: LocalRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    import pandas as pd

    predictor = EASPredictor(rt.endpoint, TOKEN, output="array", concurrency=4)
    assert TOKEN not in repr(predictor) and "***" in repr(predictor)
    with caplog.at_level(logging.INFO, logger="eas_client.integrations"):
        first = predictor(pd.DataFrame({"data": [b"1", b"bad", b"2"]}))
        predictor(pa.table({"data": ["4"]}))
    assert first["prediction"][0].tolist() == [1.0, 2.0] and first["prediction"][1] is None
    assert first["error"][1].startswith("BadRequestError(400)")
    lines = [r.getMessage() for r in caplog.records if r.name == "eas_client.integrations"]
    assert lines[0].startswith("eas ray batch: rows=3 failures=1 retries=0 ")
    assert lines[1].startswith("eas ray batch: rows=1 failures=0 retries=0 ")
    assert all(TOKEN not in line for line in caplog.text.splitlines())
    with pytest.raises(BadRequestError):
        EASPredictor(rt.endpoint, TOKEN, fail_fast=True)(pd.DataFrame({"data": [b"bad"]}))


def test_no_ray_file_holds_the_token_after_every_job(cluster: Path) -> None:
    # Last in the module: the jobs above passed the token both wrapped (score_dataset) and as a
    # plain str in fn_constructor_kwargs; no log, spill or session file of the cluster may hold it.
    assert token_in_files(cluster) == []
