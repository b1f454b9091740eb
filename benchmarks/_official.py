"""The official `eas-prediction` SDK in its own venv (it pins old protobuf/numpy), driven over a pipe."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from ._common import ROOT, SERVICE, SETTINGS, TOKEN, Sample, Skip
from ._target import stop_process, track

# One venv for the official SDK, shared with tests/integration/test_official_sdk.py (same pin, same
# marker file), so a checkout installs it once.
VENV = ROOT.parent / ".venv-official"
OFFICIAL_PIN = "eas-prediction==0.36"
MARKER = VENV / "bin" / ".eas-prediction-installed"
WORKER = Path(__file__).with_name("_official_worker.py")


def venv_python() -> Path:
    """Python of the official SDK's venv, created on first use within the run's time budget."""
    python = VENV / "bin" / "python"
    if MARKER.exists() and _has_sdk(python):
        return python
    budget = min(240.0, SETTINGS.remaining() - 30)
    if budget < 15:
        raise Skip("no time left in this run to create the official SDK venv (pip install eas-prediction)")
    print(f"[bench] creating {VENV} with eas-prediction (up to {budget:.0f}s)", flush=True)
    start = time.monotonic()
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(VENV)],
            check=True,
            capture_output=True,
            timeout=budget,
        )
        left = budget - (time.monotonic() - start)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", OFFICIAL_PIN],
            capture_output=True,
            text=True,
            timeout=max(left, 1),
            check=False,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        raise Skip(f"could not create the official SDK venv: {exc}") from None
    if done.returncode != 0 or not _has_sdk(python):
        raise Skip(f"pip install eas-prediction failed: {done.stderr.strip()[-300:]}")
    MARKER.touch()
    return python


def _has_sdk(python: Path) -> bool:
    probe = subprocess.run([str(python), "-c", "import eas_prediction"], capture_output=True, check=False)
    return probe.returncode == 0


def sdk_version() -> str:
    python = VENV / "bin" / "python"
    if not python.exists():
        return "not installed"
    out = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('eas-prediction'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "unknown"


class OfficialWorker:
    """One long-lived worker process, so its warm connection pool is reused across rounds."""

    def __init__(self, port: int) -> None:
        python = venv_python()
        # A child inherits this process's affinity: the worker runs on the client core like the rest.
        self.command = [str(python), str(WORKER), f"127.0.0.1:{port}", SERVICE, TOKEN]
        self.proc = track(
            subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        )
        line = self._read()
        if not line.get("ready"):
            raise Skip(f"official SDK worker did not start: {line}")

    def _read(self) -> dict[str, object]:
        assert self.proc.stdout is not None
        raw = self.proc.stdout.readline()
        if not raw:
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
            stop_process(self.proc)
            raise Skip(f"official SDK worker exited: {err.strip()[-300:]}")
        data: dict[str, object] = json.loads(raw)
        return data

    def run(self, warmup: int, calls: int) -> Sample:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{warmup} {calls}\n".encode())
        self.proc.stdin.flush()
        data = self._read()
        lat = data["lat_ns"]
        assert isinstance(lat, list)
        return Sample(float(str(data["seconds"])), int(str(data["calls"])), [int(v) for v in lat])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        stop_process(self.proc)
