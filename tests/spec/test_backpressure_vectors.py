"""Runs the section 14 vector files: retry_budget (BUDGET-1) and adaptive_limit (ADAPT-1…4)."""

from __future__ import annotations

from typing import Any

import pytest

import eas_client
from eas_client._core import adaptive, budget, config

from .corpus import params

EPS = 1e-9


def check_backpressure_defaults(exp: dict[str, Any]) -> None:
    """ADAPT-7: the numbers of vectors/defaults.json's back-pressure case."""
    assert budget.RetryBudget().ratio == exp["budget_ratio"]
    assert budget.RetryBudget().min_per_s == exp["budget_min_per_s"]
    assert budget.BUDGET_WINDOW_S == exp["budget_window_s"]
    limits = adaptive.AdaptiveConcurrency()
    assert (limits.min, limits.max, limits.start) == (
        exp["adaptive_min"],
        exp["adaptive_max"],
        exp["adaptive_initial"],
    )
    assert limits.backoff == exp["adaptive_backoff"]
    assert limits.latency_tolerance == exp["latency_tolerance"]
    assert limits.max_pause == exp["adaptive_max_pause_s"]
    assert adaptive.MIN_QUEUE_DELAY_S == exp["min_queue_delay_s"]
    assert adaptive.BASELINE_DRIFT == exp["baseline_drift"]


@pytest.mark.parametrize("case", params("vectors", ["retry_budget"]))
def test_retry_budget(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    if "error" in exp:
        with pytest.raises(getattr(eas_client, exp["error"])) as info:
            budget.RetryBudget(**inp["budget"])
        assert exp["message_contains"] in str(info.value)
        return
    state = budget.BudgetState(budget.RetryBudget(**inp["budget"]), inp["start"])
    for event, want in zip(inp["events"], exp["steps"], strict=True):
        if "first" in event:
            state.first_attempt(event["first"])
            assert "allowed" not in want
        else:
            assert state.try_retry(event["retry"]) is want["allowed"]
        assert abs(state.balance - want["balance"]) < EPS
    assert state.denied == exp["denied"]


@pytest.mark.parametrize("case", params("vectors", ["adaptive_limit"]))
def test_adaptive_limit(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    if "concurrency" in inp:
        _check_resolve(inp["concurrency"], exp)
        return
    if "error" in exp:
        with pytest.raises(getattr(eas_client, exp["error"])) as info:
            adaptive.AdaptiveConcurrency(**inp["config"])
        assert exp["message_contains"] in str(info.value)
        return
    pause = inp.get("pause", {})
    limiter = adaptive.Limiter(
        adaptive.AdaptiveConcurrency(**inp["config"]),
        pause_base=pause.get("backoff_base", config.DEFAULT_BACKOFF_BASE_S),
        pause_max=pause.get("backoff_max", config.DEFAULT_BACKOFF_MAX_S),
        retry_after_cap=pause.get("retry_after_cap", config.DEFAULT_RETRY_AFTER_CAP_S),
    )
    for event, want in zip(inp["events"], exp["steps"], strict=True):
        assert _apply(limiter, event) == pytest.approx(want, abs=EPS), event


def _apply(limiter: adaptive.Limiter, event: dict[str, Any]) -> dict[str, Any]:
    if "acquire" in event:
        grant = limiter.acquire(event["acquire"])
        got: dict[str, Any] = {"granted": grant.granted, "in_flight": limiter.in_flight}
        if grant.wait is not None:
            got["wait"] = grant.wait
        return got
    if "release" in event:
        limiter.release()
        return {"in_flight": limiter.in_flight}
    seen = event["observe"]
    limiter.observe(
        status=seen.get("status"),
        error=seen.get("error"),
        latency=seen["latency"],
        epoch=seen["epoch"],
        now=seen["now"],
        rand=seen.get("rand", 0.0),
        retry_after=seen.get("retry_after"),
    )
    return {"limit": limiter.limit, "epoch": limiter.epoch}


def _check_resolve(value: object, exp: dict[str, Any]) -> None:
    if "error" in exp:
        with pytest.raises(getattr(eas_client, exp["error"])) as info:
            adaptive.resolve_concurrency(value)
        assert exp["message_contains"] in str(info.value)
        return
    got = adaptive.resolve_concurrency(value)
    if "fixed" in exp:
        assert got == exp["fixed"]
        return
    assert isinstance(got, adaptive.AdaptiveConcurrency)
    want = exp["adaptive"]
    assert (got.min, got.max, got.start, got.backoff, got.latency_tolerance, got.max_pause) == (
        want["min"],
        want["max"],
        want["initial"],
        want["backoff"],
        want["latency_tolerance"],
        want["max_pause"],
    )
