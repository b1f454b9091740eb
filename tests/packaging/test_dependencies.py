"""The package depends only on what its default engines run, names the extra when an optional
engine is asked for without it, and its allspark stand-in never hides a real allspark."""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eas_client import ConfigError, EASClient

ROOT = Path(__file__).resolve().parents[2]
SHIM = ROOT / "allspark.py"


def _requirements() -> dict[str, str | None]:
    """Requirement name -> the extra it belongs to (None: always installed)."""
    out: dict[str, str | None] = {}
    for req in importlib.metadata.requires("eas-client") or []:
        name = re.match(r"[A-Za-z0-9_.-]+", req)
        extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", req)
        assert name is not None
        out.setdefault(name.group(0).lower(), extra.group(1) if extra else None)
    return out


def test_a_plain_install_pulls_neither_protobuf_nor_urllib3() -> None:
    reqs = _requirements()
    always = sorted(name for name, extra in reqs.items() if extra is None)
    assert always == ["aiohttp"]
    assert reqs["protobuf"] == "protobuf" and reqs["urllib3"] == "urllib3"


def test_runtime_code_never_imports_protobuf() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "eas_client").rglob("*.py")
        if re.search(r"^\s*(from|import)\s+google\b", path.read_text(), re.M)
    ]
    assert offenders == []


def test_engine_urllib3_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "urllib3" or m.startswith("urllib3.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delitem(sys.modules, "eas_client._transports.urllib3_engine", raising=False)
    monkeypatch.setitem(sys.modules, "urllib3", None)  # what an environment without it gives
    with pytest.raises(ConfigError, match=r"pip install 'eas-client\[urllib3\]'"):
        EASClient("http://127.0.0.1:1/api/predict/x", engine="urllib3")
    with EASClient("http://127.0.0.1:1/api/predict/x") as client:  # the default engine needs none
        assert type(client._transport).__name__ == "HTTPClientTransport"


REAL = """
MARKER = "real"
"""
PROBE = "import allspark; print(getattr(allspark, 'MARKER', None) or allspark.BaseProcessor.__module__)"


def _probe(*path: Path) -> str:
    env_path = ":".join(str(p) for p in path)
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        timeout=60,
        cwd=path[0],
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _real_package(where: Path) -> None:
    (where / "allspark").mkdir(parents=True)
    (where / "allspark" / "__init__.py").write_text(REAL)


def test_shim_alone_is_the_local_stand_in(tmp_path: Path) -> None:
    shutil.copy(SHIM, tmp_path / "allspark.py")
    assert _probe(tmp_path) == "eas_client.server.allspark"


def test_shim_first_on_the_path_delegates_to_a_real_allspark_later(tmp_path: Path) -> None:
    shim_dir, real_dir = tmp_path / "shim", tmp_path / "real"
    shim_dir.mkdir()
    shutil.copy(SHIM, shim_dir / "allspark.py")
    _real_package(real_dir)
    assert _probe(shim_dir, real_dir) == "real"


def test_shim_beside_a_real_package_in_one_directory_overwrites_nothing_and_loses(tmp_path: Path) -> None:
    _real_package(tmp_path)
    shutil.copy(SHIM, tmp_path / "allspark.py")  # what installing eas-client into that site dir does
    assert (tmp_path / "allspark" / "__init__.py").read_text() == REAL
    assert _probe(tmp_path) == "real"


def test_the_wheel_ships_allspark_as_a_module_not_a_package() -> None:
    files = importlib.metadata.files("eas-client") or []
    assert not any(str(f).startswith("allspark/") for f in files)
    assert not (ROOT / "allspark").exists()


def test_the_version_has_one_source() -> None:
    import eas_client

    assert importlib.metadata.version("eas-client") == eas_client.__version__
    assert not re.search(r'^version\s*=\s*"', (ROOT / "pyproject.toml").read_text(), re.M)
