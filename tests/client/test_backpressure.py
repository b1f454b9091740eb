"""The retry budget and adaptive batches as the client exposes them (spec/protocol.md §14), on
every engine against the scripted server."""

from __future__ import annotations

import pytest

from eas_client import AdaptiveConcurrency, BadRequestError, ConfigError, EASClient, RetryBudget

from ..conftest import ClientFactory
from ..scripted_server import Reply, ScriptedServer

TOKEN = "backpressure-token"


def test_with_options_copies_share_the_budget_unless_it_changes() -> None:
    with EASClient("http://127.0.0.1:1/api/predict/x", TOKEN) as client:
        same = client.with_options(timeout=2.0)
        other = client.with_options(retry_budget=RetryBudget(ratio=0.5))
        off = client.with_options(retry_budget=None)
        assert same._budget is client._budget
        assert other._budget is not client._budget and other._budget is not None
        assert off._budget is None and off.retry_budget_denied == 0


@pytest.mark.parametrize("bad", [0.1, "10%", {"ratio": 0.1}])
def test_a_retry_budget_that_is_not_a_retry_budget_is_a_config_error(bad: object) -> None:
    with pytest.raises(
        ConfigError, match=r"retry_budget must be a RetryBudget\(ratio=\.\.\., min_per_s=\.\.\.\) or None"
    ):
        EASClient("http://127.0.0.1:1/api/predict/x", TOKEN, retry_budget=bad)  # type: ignore[arg-type]


def test_a_bad_concurrency_is_refused_before_any_request(make_client: ClientFactory) -> None:
    with ScriptedServer() as srv:
        client = make_client(srv.url(), TOKEN)
        for bad in ("fast", AdaptiveConcurrency, -1):
            with pytest.raises(ConfigError, match="concurrency must be"):
                client.predict_many([b"a"], concurrency=bad)
        assert srv.seen == []


def test_auto_batch_without_return_exceptions_raises_the_first_failure(make_client: ClientFactory) -> None:
    replies = [Reply(400, body=b"bad input", when=b"b")]
    with ScriptedServer(replies, default=Reply(200, body=b"ok")) as srv:
        client = make_client(srv.url(), TOKEN)
        with pytest.raises(BadRequestError):
            client.predict_many(
                [b"a", b"b", b"c"], concurrency=AdaptiveConcurrency(max=1), return_exceptions=False
            )
        assert [s.body for s in srv.seen] == [b"a", b"b"]  # nothing sent after the failure


def test_auto_batch_reads_a_generator_lazily_and_keeps_order(make_client: ClientFactory) -> None:
    with ScriptedServer(default=Reply(200, echo=True)) as srv:
        client = make_client(srv.url(), TOKEN)
        rows = (f"row-{i}".encode() for i in range(40))
        assert client.predict_many(rows, concurrency="auto") == [f"row-{i}".encode() for i in range(40)]
        assert len(srv.seen) == 40


def test_the_budget_warns_at_most_once_per_window(caplog: pytest.LogCaptureFixture) -> None:
    from eas_client._backpressure import SharedBudget

    budget = SharedBudget(RetryBudget(ratio=0, min_per_s=0.01), now=0.0)  # one token, barely refilled
    with caplog.at_level("WARNING", logger="eas_client"):
        assert budget.try_retry(0.0)
        assert [budget.try_retry(t) for t in (0.0, 1.0, 9.9, 10.0, 12.0)] == [False] * 5
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert (
        warnings
        == [
            "eas retry budget exhausted: retries are limited to 0% of calls + 0.01/s; "
            "the service is failing most calls"
        ]
        * 2
    )  # at 0.0 and at 10.0
    assert budget.denied == 5
