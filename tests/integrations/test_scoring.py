"""The engine-neutral scorer, without Ray or Spark: the token wrapper, the driver-side checks, and
one scorer over a real socket counting its retries exactly as the runtime saw them."""

from __future__ import annotations

import logging
import pickle

import pytest

from eas_client import ConfigError
from eas_client.integrations._scoring import Scorer, ScoringOptions, Token, check_endpoint, summary
from eas_client.server.faults import FaultSpec

from ._common import TOKEN, runtime


def test_token_is_pickled_but_never_shown() -> None:
    token = Token(TOKEN)
    opts = ScoringOptions("http://127.0.0.1:1/api/predict/x", token)
    assert repr(token) == str(token) == "Token('***')" and TOKEN not in repr(opts)
    assert pickle.loads(pickle.dumps(opts)).token.reveal() == TOKEN
    assert opts.key() == ScoringOptions("http://127.0.0.1:1/api/predict/x", Token(TOKEN)).key()
    assert TOKEN not in opts.key()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"output": "tensor"}, "output must be one of bytes, text, json, array"),
        ({"output_column": "error"}, "output_column and error_column must differ"),
        ({"input_column": ""}, "input_column must be a non-empty column name"),
        ({"client_options": {"http_client": object()}}, "'http_client' cannot be sent to workers"),
        ({"client_options": {"headers": {"x": lambda: 1}}}, "'headers' cannot be sent to workers"),
        ({"client_options": {"timeout": -1}}, "timeout"),
        ({"concurrency": 0}, "concurrency"),
    ],
)
def test_bad_options_fail_on_the_driver(changes: dict[str, object], message: str) -> None:
    fields = {"endpoint": "http://127.0.0.1:1/api/predict/x", "token": Token(TOKEN), **changes}
    with pytest.raises(ConfigError, match=message):
        ScoringOptions(**fields).check()  # type: ignore[arg-type]


def test_unreachable_endpoint_names_the_fix() -> None:
    opts = ScoringOptions("http://127.0.0.1:9/api/predict/x", Token(TOKEN))
    with pytest.raises(ConfigError, match="unreachable from the driver.*check_reachable=False") as caught:
        check_endpoint(opts)
    assert TOKEN not in str(caught.value)


def test_scorer_counts_retries_as_the_runtime_saw_them(caplog: pytest.LogCaptureFixture) -> None:
    rows = [str(i).encode() for i in range(1, 201)] + [b"bad"]
    with runtime() as rt:
        # 9 attempts: with 3 retries, 4 injected 503s in a row (0.2**4 per row) failed ~1 run in 6.
        options = ScoringOptions(
            rt.endpoint, Token(TOKEN), output="json", concurrency=8, client_options={"max_retries": 8}
        )
        scorer = Scorer(options.check())
        try:
            assert TOKEN not in repr(scorer)
            rt.set_faults(FaultSpec(rate_503=0.2, seed=3))
            before = rt.total_stats()["requests"]
            result = scorer.score(rows)
            sent = rt.total_stats()["requests"] - before
        finally:
            scorer.close()
    assert result.outputs[:3] == [[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]] and result.outputs[-1] is None
    assert result.errors[-1] is not None and result.errors[-1].startswith("BadRequestError(400)")
    assert (result.rows, result.failures) == (201, 1)
    assert result.retries == sent - len(rows) > 0  # every 503 retried, every retry counted
    with caplog.at_level(logging.INFO, logger="eas_client.integrations"):
        summary("test", "http://h/api/predict/x", result.rows, result.failures, result.retries, 2.0)
    assert caplog.records[0].getMessage() == (
        f"eas test: rows=201 failures=1 retries={result.retries} seconds=2.00 req/s=100.5 "
        "endpoint=http://h/api/predict/x"
    )


def test_shared_scorers_close_and_reopen() -> None:
    from eas_client.integrations._scoring import close_shared_scorers, shared_scorer

    close_shared_scorers()  # whatever an earlier test left
    with runtime() as rt:
        opts = ScoringOptions(rt.endpoint, Token(TOKEN), concurrency=2).check()
        first = shared_scorer(opts)
        assert first is shared_scorer(opts) and first.score(["3"]).outputs == [b"[3.0, 6.0]"]
        assert close_shared_scorers() == 1
        assert not first._thread.is_alive() and first._loop.is_closed()
        again = shared_scorer(opts)
        assert again is not first and again.score(["4"]).outputs == [b"[4.0, 8.0]"]
        assert close_shared_scorers() == 1 and close_shared_scorers() == 0
