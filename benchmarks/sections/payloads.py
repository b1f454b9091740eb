"""Tensor payloads: delegates to ``benchmarks.payload_bench.run(quick) -> list[dict]`` (owned by the
payloads work), turning each dict into a Result. Absent module = a "not available yet" note."""

from __future__ import annotations

import importlib
from typing import Any

from .._common import Result, Skip

TITLE = "Tensor payloads (benchmarks/payload_bench.py)"
GROUP = "payloads"

# Keys payload_bench may use for the fields the report knows; everything else is shown as is.
_NAME_KEYS = ("name", "case", "bench", "benchmark")
_RATE_KEYS = ("rps", "ops_per_s", "per_s", "calls_per_s", "throughput")


def run(quick: bool) -> list[Result]:
    try:
        module = importlib.import_module("benchmarks.payload_bench")
    except ModuleNotFoundError as exc:
        if exc.name != "benchmarks.payload_bench":
            raise  # payload_bench exists but needs something missing: a real failure
        raise Skip("not available yet: benchmarks/payload_bench.py is not there") from None
    rows: list[dict[str, Any]] = list(module.run(quick))
    return [_to_result(row, i) for i, row in enumerate(rows)]


def _to_result(row: dict[str, Any], index: int) -> Result:
    extra = dict(row)
    name = next((str(extra.pop(k)) for k in _NAME_KEYS if k in extra), f"case {index + 1}")
    if "impl" in extra:  # payload_bench names the case and the implementation separately
        name = f"{name}: {extra.pop('impl')}"
    rate = next((extra.pop(k) for k in _RATE_KEYS if k in extra), None)
    group = str(extra.pop("group", GROUP))
    note = str(extra.pop("note", ""))
    return Result(
        "payloads",
        group,
        name,
        rps=float(rate) if isinstance(rate, (int, float)) else None,
        note=note,
        extra=extra,
    )
