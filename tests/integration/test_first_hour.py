"""What a newcomer meets in the first hour: a busy port, a missing extra, the service name from
app.json in the printed URL, and docs that match the build."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from .test_seed_and_cli import _serving

ROOT = Path(__file__).resolve().parents[2]
EAS = [sys.executable, "-m", "eas_client"]
APP = (
    "import allspark\n\nclass P(allspark.BaseProcessor):\n    def process(self, d):\n        return d, 200\n"
)
RUN_APP = APP + "\nif __name__ == '__main__':\n    P().run()\n"


def _busy_port() -> socket.socket:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    return holder


def test_python_app_py_on_a_busy_port_prints_one_line_naming_the_fix(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(RUN_APP)
    with _busy_port() as holder:
        port = holder.getsockname()[1]
        env = {**os.environ, "EAS_SERVE_PORT": str(port)}
        out = subprocess.run(
            [sys.executable, "app.py"], cwd=tmp_path, env=env, capture_output=True, timeout=60, text=True
        )
    assert out.returncode == 1
    assert out.stderr == (
        f"port {port} on 127.0.0.1 is already in use (another eas serve or python app.py?); "
        "stop it, or pick another port: --port N or EAS_SERVE_PORT=N\n"
    )


def test_serve_without_the_server_extra_names_the_install_command(tmp_path: Path) -> None:
    # A meta-path finder that hides starlette stands in for an install without [server].
    hide = (
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('starlette', 'uvicorn'):\n"
        "            raise ModuleNotFoundError(f\"No module named '{name}'\", name=name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "from eas_client.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", hide, "serve", str(tmp_path / "app.py")],
        capture_output=True,
        timeout=60,
        text=True,
    )
    assert out.returncode == 1
    assert out.stderr == (
        "eas serve needs the local runtime: pip install 'eas-client[server]' (missing: uvicorn)\n"
    )


def test_the_printed_url_names_the_service_from_app_json_beside_app_py(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(RUN_APP)
    (tmp_path / "app.json").write_text(json.dumps({"name": "fraud-check"}))
    with _serving([*EAS, "serve", str(tmp_path / "app.py"), "--port", "0"]) as url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/predict/fraud-check", url), url
        with urllib.request.urlopen(urllib.request.Request(url, data=b"hi"), timeout=10) as resp:
            assert resp.read() == b"hi"
    port = str(_free_port())
    with _serving([sys.executable, str(tmp_path / "app.py")], env={"EAS_SERVE_PORT": port}) as url:
        assert url == f"http://127.0.0.1:{port}/api/predict/fraud-check"


def test_without_app_json_the_url_still_says_default(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    with _serving([*EAS, "serve", str(tmp_path / "app.py"), "--port", "0"]) as url:
        assert url.endswith("/api/predict/default"), url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _targets() -> dict[str, str]:
    """Every make target in Makefile and mk/*.mk, with its ``## `` description ('' when none)."""
    found: dict[str, str] = {}
    for path in [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]:
        for line in path.read_text().splitlines():
            match = re.match(r"^([a-z][a-z0-9-]*):(?!=)(.*)$", line)
            if match:
                found[match.group(1)] = match.group(2).split("## ", 1)[1] if "## " in match.group(2) else ""
    return found


def test_make_help_lists_every_target() -> None:
    missing = [name for name, text in _targets().items() if not text]
    assert missing == [], f"give these targets a '## description' so `make help` lists them: {missing}"


def test_readme_says_what_make_test_costs_and_names_the_quick_loops() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "`make test` runs Python, Go and Java" in readme
    assert re.search(r"takes\s+about \d+(–\d+)? minutes", readme), "README must say how long make test takes"
    for target in ("make check", "make test-py", "make test-go", "make test-java", "make help"):
        assert target in readme
        assert target.split()[1] in _targets()


def test_readme_install_lines_match_the_extras() -> None:
    # tomllib is 3.11+: read the extras' names from their section by line.
    section = (
        (ROOT / "pyproject.toml").read_text().split("[project.optional-dependencies]")[1].split("\n[")[0]
    )
    extras = set(re.findall(r"^([a-z0-9-]+) = \[", section, re.M))
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"pip install -e '\.\[([a-z0-9-]+)\]'", readme))
    assert named == extras - {"dev"}, (named, extras)


def test_tests_and_benchmarks_share_one_venv_for_the_official_sdk() -> None:
    from benchmarks import _official

    from . import test_official_sdk

    assert _official.VENV == test_official_sdk.VENV == ROOT / ".venv-official"
    assert f'"{_official.OFFICIAL_PIN}"' in Path(test_official_sdk.__file__).read_text()
    assert _official.MARKER == test_official_sdk.VENV / "bin" / ".eas-prediction-installed"
