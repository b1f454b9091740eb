"""The runtime's module graph and its processor hand-over, pinned."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

import eas_client.server
from eas_client.server import allspark
from eas_client.server.processor import load_processor

SERVER = Path(eas_client.server.__file__).parent


def _imports(path: Path) -> set[str]:
    """Sibling modules a server module imports anywhere in it (functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_server_modules_import_each_other_without_a_cycle() -> None:
    graph = {p.stem: _imports(p) for p in SERVER.glob("*.py") if p.stem != "__init__"}
    done: set[str] = set()

    def visit(module: str, stack: tuple[str, ...]) -> None:
        assert module not in stack, f"import cycle: {' -> '.join((*stack, module))}"
        if module in done:
            return
        for target in graph.get(module, ()):
            visit(target, (*stack, module))
        done.add(module)

    for module in graph:
        visit(module, ())
    assert graph["allspark"] <= {"errors"}, "the shim must stay a leaf: the runtime imports it"


def test_run_under_a_capture_hands_the_processor_over_and_returns(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(
        "import allspark\n"
        "class P(allspark.BaseProcessor):\n"
        "    def process(self, data):\n"
        "        return data\n"
        "if __name__ == '__main__':\n"
        "    P(worker_threads=7, custom=1).run()\n"
    )
    processor = load_processor(app)
    assert (processor.worker_threads, processor.extra_options) == (7, {"custom": 1})
    assert not getattr(allspark._capture, "slot", None)  # the capture ends with the load


def test_model_path_of_a_runtime_is_set_for_the_runtime_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(allspark.ENV_MODEL_PATH, raising=False)
    with allspark.model_path_in_use(str(tmp_path)):
        assert allspark.get_model_path() == str(tmp_path)
        assert allspark.ENV_MODEL_PATH not in os.environ
    assert allspark.get_model_path() == os.path.abspath("model")
