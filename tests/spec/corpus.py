"""Load spec/vectors and spec/scenarios as pytest params with ids ``<file stem>/<case name>``;
cases listed in spec/known-failing/python.txt become strict xfails (so the list only shrinks)."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest

SPEC = Path(__file__).resolve().parents[2] / "spec"


def known_failing() -> list[str]:
    lines = (SPEC / "known-failing" / "python.txt").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def load(kind: str, stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SPEC / kind / f"{stem}.json").read_text(encoding="utf-8"))
    return data


def params(kind: str, stems: list[str]) -> list[Any]:
    globs = known_failing()
    out = []
    for stem in stems:
        for case in load(kind, stem)["cases"]:
            case_id = f"{stem}/{case['name']}"
            marks = (
                [pytest.mark.xfail(strict=True)] if any(fnmatch.fnmatch(case_id, g) for g in globs) else []
            )
            out.append(pytest.param(case, id=case_id, marks=marks))
    return out


def stems(kind: str) -> list[str]:
    return sorted(p.stem for p in (SPEC / kind).glob("*.json"))


def decode_bytes(spec: dict[str, Any]) -> bytes:
    """``{"hex": …}``, ``{"text": …}`` or ``{"json": …}`` → bytes (JSON compact, as PAYLOAD-3)."""
    if "hex" in spec:
        return bytes.fromhex(spec["hex"])
    if "text" in spec:
        return str(spec["text"]).encode("utf-8")
    return json.dumps(spec["json"], ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_data(spec: dict[str, Any]) -> object:
    """A call's ``data``: bytes for hex, str for text, the object for json."""
    if "hex" in spec:
        return bytes.fromhex(spec["hex"])
    if "text" in spec:
        return spec["text"]
    if "text_escaped" in spec:
        return json.loads('"' + spec["text_escaped"] + '"')
    if "json_nan" in spec:
        return [float("nan")]
    if "unsupported" in spec:
        return {1, 2}
    if "tf_request" in spec:
        from ..payloads.vectors_io import build_request

        return build_request(spec["tf_request"])
    return spec["json"]
