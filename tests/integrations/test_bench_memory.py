"""The distributed benchmark's memory figure: ``PeakRss`` finds a worker among this process's
descendants (a grandchild, as Ray's actors and Spark's forked workers are), resets its high-water
mark on entry and keeps the peak of what it allocates afterwards, over a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.sections.distributed import PeakRss

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")

# The worker: 64 MiB touched and freed before the measurement, 32 MiB during it.
WORKER = """
import sys
block = b"x" * (64 << 20); del block
print("ready", flush=True); sys.stdin.readline()
block = b"x" * (32 << 20); del block
print("done", flush=True); sys.stdin.readline()
"""
# The parent in between, like Ray's raylet or Spark's daemon: only the worker is measured.
PARENT = (
    "import subprocess, sys; subprocess.run([sys.executable, '-c', sys.argv[1], sys.argv[2] + '-worker'])"
)


def test_peak_rss_resets_on_entry_and_keeps_the_peak_of_a_grandchild() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, WORKER, "peak-rss-probe"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            assert proc.stdout.readline() == "ready\n"
            with PeakRss(lambda cmd, parent: "peak-rss-probe-worker" in cmd) as rss:
                proc.stdin.write("go\n")
                proc.stdin.flush()
                assert proc.stdout.readline() == "done\n"
            proc.stdin.write("exit\n")
            proc.stdin.flush()
            assert proc.wait(timeout=30) == 0
        finally:
            proc.kill()
    peaks = rss.peaks_mib()
    assert len(peaks) == 1  # the worker, not its parent
    assert 32 <= peaks[0] < 64, peaks  # the 64 MiB before entry was reset away; the 32 MiB kept
