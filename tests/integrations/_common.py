"""What both engines' tests share: the rows, the expected answers, the runtime and a token scan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eas_client import EASClient
from eas_client.server.faults import FaultSpec
from eas_client.testing import LocalRuntime

APP = Path(__file__).resolve().parent / "doubler_app.py"
TOKEN = "distributed-scoring-token-7f3a9c"
ROWS = 1200
BIG_ROWS = 20_000  # one job per engine at the size the integrations are specified for
BAD_EVERY = 100  # rows 0, 100, 200, ... are rejected by the processor with 400


def rows(n: int = ROWS) -> list[str]:
    return [f"bad-{i}" if i % BAD_EVERY == 0 else str(i) for i in range(n)]


def runtime() -> LocalRuntime:
    return LocalRuntime(APP, service="doubler", token=TOKEN, instances=3)


def faults(rt: LocalRuntime) -> None:
    """Retryable faults only: every faulted row must be retried into a success."""
    rt.set_faults(FaultSpec(rate_503=0.04, rate_450=0.03, rate_reset=0.02, seed=7))


def reference(rt: LocalRuntime, data: list[str]) -> list[Any]:
    """Single-process predict_many on the same rows (no faults): what every engine must match."""
    with EASClient(rt.endpoint, TOKEN) as client:
        answers = client.predict_many([d.encode() for d in data], concurrency=8)
    return [None if isinstance(a, Exception) else json.loads(a) for a in answers]


def assert_scored(data: list[str], outputs: list[Any], errors: list[Any], expected: list[Any]) -> None:
    assert len(outputs) == len(errors) == len(data)
    for i, (out, err, want) in enumerate(zip(outputs, errors, expected, strict=True)):
        if i % BAD_EVERY == 0:
            assert out is None and err is not None and err.startswith("BadRequestError(400)"), (i, err)
        else:
            assert err is None and list(out) == want, (i, out, err)


def token_in_files(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            try:
                if TOKEN.encode() in path.read_bytes():
                    found.append(path)
            except OSError:
                continue
    return found
