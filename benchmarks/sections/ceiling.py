"""wrk against the nginx target: the ceiling a client could reach if it cost nothing."""

from __future__ import annotations

import statistics

from .._common import SETTINGS, TOKEN, Result
from .._target import nginx, wrk

TITLE = "Target ceiling (wrk, C client)"


def run(quick: bool) -> list[Result]:
    target = nginx()
    results = []
    for conns, group in ((1, "python-sync"), (SETTINGS.concurrency, "python-async")):
        rates = []
        cmd: list[str] = []
        for _ in range(SETTINGS.wrk_runs):
            rate, cmd = wrk(target.url, conns, SETTINGS.wrk_seconds, TOKEN)
            rates.append(rate)
        results.append(
            Result(
                "ceiling",
                group,
                f"wrk -c{conns} (nginx ceiling)",
                rps=statistics.median(rates),
                role="ceiling",
                runs=len(rates),
                note=" ".join(cmd[:-1] + ["<url>"]),
            )
        )
    return results
