"""Load spec/vectors and spec/scenarios as pytest params with ids ``<file stem>/<case name>``;
cases listed in spec/known-failing/python.txt become strict xfails (so the list only shrinks) and
cases listed in spec/not-applicable/python.txt are skipped with the reason given there."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest

SPEC = Path(__file__).resolve().parents[2] / "spec"


def listed(kind: str) -> list[tuple[str, str]]:
    """``known-failing`` or ``not-applicable`` entries of python.txt: (case glob, reason) per line."""
    lines = (SPEC / kind / "python.txt").read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            glob, _, reason = line.partition(" ")
            out.append((glob, reason.strip()))
    return out


def load(kind: str, stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SPEC / kind / f"{stem}.json").read_text(encoding="utf-8"))
    return data


def params(kind: str, stems: list[str]) -> list[Any]:
    failing = listed("known-failing")
    not_applicable = listed("not-applicable")
    out = []
    for stem in stems:
        for case in load(kind, stem)["cases"]:
            case_id = f"{stem}/{case['name']}"
            marks: list[Any] = [
                pytest.mark.xfail(strict=True, reason=why or "known failing")
                for g, why in failing
                if fnmatch.fnmatch(case_id, g)
            ]
            marks += [
                pytest.mark.skip(reason=why) for g, why in not_applicable if fnmatch.fnmatch(case_id, g)
            ]
            out.append(pytest.param(case, id=case_id, marks=marks))
    return out


def stems(kind: str) -> list[str]:
    return sorted(p.stem for p in (SPEC / kind).glob("*.json"))


def decode_bytes(spec: dict[str, Any]) -> bytes:
    """``{"hex": …}``, ``{"text": …}`` or ``{"json": …}`` → bytes (JSON compact, as PAYLOAD-3).
    Compare with :func:`bytes_match`, which compares ``json`` structurally."""
    if "hex" in spec:
        return bytes.fromhex(spec["hex"])
    if "text" in spec:
        return str(spec["text"]).encode("utf-8")
    return json.dumps(spec["json"], ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def bytes_match(got: bytes, spec: dict[str, Any]) -> bool:
    """protocol.md §10: hex and text compare byte for byte; json compares the parsed value (object
    key order ignored) and requires the compact form of PAYLOAD-3 (no whitespace between tokens)."""
    if "json" not in spec:
        return got == decode_bytes(spec)
    try:
        value = json.loads(got)
    except ValueError:
        return False
    compact = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return bool(value == spec["json"]) and len(got) == len(compact)


def decode_data(spec: dict[str, Any]) -> object:
    """A call's ``data`` (protocol.md §10): bytes for hex, str for text, the object for json, and
    the inputs a language can only build in code: invalid text, a non-finite float, an unsupported
    type, a typed tensor request."""
    if "hex" in spec:
        return bytes.fromhex(spec["hex"])
    if "text" in spec:
        return spec["text"]
    if "invalid_text_hex" in spec:  # WTF-8: Python keeps a lone surrogate as one code point
        return bytes.fromhex(spec["invalid_text_hex"]).decode("utf-8", "surrogatepass")
    if "nonfinite_json" in spec:
        return [float(spec["nonfinite_json"])]
    if "unsupported" in spec:
        return {1, 2}  # a set: neither bytes, text, a JSON object/array nor a tensor request
    if "tensor" in spec:
        from ..payloads.vectors_io import build_request

        return build_request(spec["tensor"])
    return spec["json"]
