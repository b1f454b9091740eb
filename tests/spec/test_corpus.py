"""The corpus checks itself: every file validates against its schema, names are unique, and every
rule id in spec/protocol.md is pinned by at least one case."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from .corpus import SPEC, load, stems

KINDS = {"vectors": "vector", "scenarios": "scenario"}
RULE_RE = re.compile(r"\*\*([A-Z]+-\d+)\*\*")


@pytest.mark.parametrize(
    ("kind", "stem"), [(kind, stem) for kind in KINDS for stem in stems(kind)], ids=lambda v: str(v)
)
def test_file_matches_schema(kind: str, stem: str) -> None:
    schema = json.loads((SPEC / "schema" / f"{KINDS[kind]}.schema.json").read_text())
    data = load(kind, stem)
    jsonschema.validate(data, schema)
    names = [c["name"] for c in data["cases"]]
    assert len(names) == len(set(names)), "case names must be unique within a file"


def test_every_rule_is_pinned_by_a_case() -> None:
    rules = set(RULE_RE.findall((SPEC / "protocol.md").read_text()))
    assert len(rules) >= 20
    referenced: set[str] = set()
    for kind in KINDS:
        for stem in stems(kind):
            for case in load(kind, stem)["cases"]:
                referenced.update(case.get("rules", []))
    assert sorted(rules - referenced) == []
    assert sorted(referenced - rules) == [], "cases cite rules that protocol.md does not define"


def test_known_failing_is_empty_for_python() -> None:
    lines = (SPEC / "known-failing" / "python.txt").read_text().split()
    assert [ln for ln in lines if not ln.startswith("#")] == []
