"""The corpus checks itself: every file validates against its strict schema with a standard JSON
Schema validator, names are unique, and every rule id in spec/protocol.md is pinned by a case."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from .corpus import SPEC, listed, load, stems

RULE_RE = re.compile(r"\*\*([A-Z]+-\d+)\*\*")
ROOT = SPEC.parent


def _schema_for(kind: str, stem: str) -> dict[str, object]:
    path = (
        SPEC / "schema" / ("scenario.schema.json" if kind == "scenarios" else f"vectors/{stem}.schema.json")
    )
    schema: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return schema


FILES = [("vectors", s) for s in stems("vectors")] + [("scenarios", s) for s in stems("scenarios")]


@pytest.mark.parametrize(("kind", "stem"), FILES, ids=[f"{k}/{s}" for k, s in FILES])
def test_file_matches_its_strict_schema(kind: str, stem: str) -> None:
    schema = _schema_for(kind, stem)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(load(kind, stem))
    names = [c["name"] for c in load(kind, stem)["cases"]]
    assert len(names) == len(set(names)), "case names must be unique within a file"


def test_every_vector_file_has_a_schema() -> None:
    have = sorted(p.name.removesuffix(".schema.json") for p in (SPEC / "schema" / "vectors").glob("*.json"))
    assert have == stems("vectors")


def test_schemas_are_strict() -> None:
    """Every object schema is closed, so a misspelt key fails instead of being ignored."""
    open_objects: list[str] = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "additionalProperties" not in node:
                open_objects.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    for path in sorted((SPEC / "schema").rglob("*.schema.json")):
        walk(json.loads(path.read_text()), path.name)
    # The only open objects are the free-form ones: a JSON body and a protobuf message in JSON form.
    assert [w for w in open_objects if not w.endswith(("/message", "/json"))] == []


def test_an_empty_outcome_is_invalid() -> None:
    schema = _schema_for("scenarios", "basic")
    data = load("scenarios", "basic")
    data["cases"][0]["expect"]["outcome"] = {}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(data)
    data = load("scenarios", "basic")
    data["cases"][0]["input"]["client"]["timout"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(data)


def test_every_rule_is_pinned_by_a_case() -> None:
    rules = set(RULE_RE.findall((SPEC / "protocol.md").read_text()))
    assert len(rules) >= 40
    referenced: set[str] = set()
    for kind in ("vectors", "scenarios"):
        for stem in stems(kind):
            for case in load(kind, stem)["cases"]:
                referenced.update(case["rules"])
    assert sorted(rules - referenced) == []
    assert sorted(referenced - rules) == [], "cases cite rules that protocol.md does not define"


@pytest.mark.parametrize("kind", ["known-failing", "not-applicable"])
def test_python_lists_are_empty(kind: str) -> None:
    assert listed(kind) == []


def test_generated_files_are_current() -> None:
    """``make generate`` output is checked in: schemas and payload vectors match their generators."""
    for cmd in (["scripts/make_schemas.py", "--check"], ["-m", "tests.payloads.make_vectors", "--check"]):
        done = subprocess.run([sys.executable, *cmd], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_every_file_is_named_in_protocol_md() -> None:
    text = (SPEC / "protocol.md").read_text()
    for kind in ("vectors", "scenarios"):
        for stem in stems(kind):
            assert f"{kind}/{stem}.json" in text, f"protocol.md does not mention {kind}/{stem}.json"
    assert Path(ROOT / "tests" / "spec" / "test_corpus.py").exists() and "tests/spec/test_corpus.py" in text


def test_every_scenario_key_is_explained_in_protocol_md() -> None:
    """A port reads §10/§11, not the schema's source: each client, call, reply and expect key is there."""
    text = (SPEC / "protocol.md").read_text()
    defs = _schema_for("scenarios", "basic")["$defs"]
    assert isinstance(defs, dict)
    case = defs["case"]["properties"]
    groups = [
        case["input"]["properties"]["client"]["properties"],
        case["input"]["properties"]["call"]["properties"],
        defs["reply"]["properties"],
        defs["discovery_reply"]["properties"],
        defs["data"]["properties"],
        case["expect"]["properties"],
    ]
    missing = sorted({key for group in groups for key in group if f"`{key}`" not in text})
    assert missing == []
