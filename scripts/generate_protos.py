#!/usr/bin/env python3
"""Generate tests/payloads/_pb/*_pb2.py from spec/proto/*.proto with a pinned protoc.

    python scripts/generate_protos.py           # rewrite the checked-in files
    python scripts/generate_protos.py --check   # exit 1 if they differ from a fresh generation

Why a pinned, old generator: code from protoc 3.21 (grpcio-tools 1.49.1) imports under every
protobuf runtime from 4.21 to the newest major, while code from a newer protoc refuses older
runtimes. The generator lives in its own venv (``.venv-gen/``, or ``$EAS_GEN_VENV``) so its
protobuf pin never touches the project's environment.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "spec" / "proto"
OUT_DIR = ROOT / "tests" / "payloads" / "_pb"
GEN_VENV = Path(os.environ.get("EAS_GEN_VENV", ROOT / ".venv-gen"))
# grpcio-tools 1.49.1 bundles libprotoc 3.21.6 and has cp311 wheels; protobuf 4.21.12 is the
# lowest runtime we support, so the generator runs against it too.
GENERATOR_PINS = ["grpcio-tools==1.49.1", "grpcio==1.49.1", "protobuf==4.21.12"]
EXPECTED_PROTOC = "libprotoc 3.21.6"
INIT_TEXT = '"""Generated from spec/proto by scripts/generate_protos.py. Do not edit."""\n'


def _venv_python() -> Path:
    return GEN_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_generator() -> Path:
    """Create the generator venv once; later runs reuse it (a stamp records the pins)."""
    py = _venv_python()
    stamp = GEN_VENV / ".pins"
    if py.exists() and stamp.exists() and stamp.read_text() == "\n".join(GENERATOR_PINS):
        return py
    subprocess.run([sys.executable, "-m", "venv", str(GEN_VENV)], check=True)
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--only-binary=:all:", *GENERATOR_PINS], check=True
    )
    stamp.write_text("\n".join(GENERATOR_PINS))
    return py


def generate(py: Path, out_dir: Path) -> None:
    version = subprocess.run(
        [str(py), "-m", "grpc_tools.protoc", "--version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    if version != EXPECTED_PROTOC:
        sys.exit(f"generator is {version!r}, expected {EXPECTED_PROTOC!r}: delete {GEN_VENV} and rerun")
    protos = sorted(p.name for p in PROTO_DIR.glob("*.proto"))
    subprocess.run(
        [str(py), "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}", f"--python_out={out_dir}", *protos],
        check=True,
        cwd=PROTO_DIR,
    )
    (out_dir / "__init__.py").write_text(INIT_TEXT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    py = ensure_generator()
    if not args.check:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        for old in OUT_DIR.glob("*_pb2.py"):
            old.unlink()
        generate(py, OUT_DIR)
        print(f"wrote {sorted(p.name for p in OUT_DIR.glob('*.py'))}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(py, fresh)
        names = sorted({p.name for p in fresh.glob("*.py")} | {p.name for p in OUT_DIR.glob("*.py")})
        stale = [n for n in names if not (OUT_DIR / n).exists() or not (fresh / n).exists()]
        stale += [n for n in names if n not in stale and not filecmp.cmp(fresh / n, OUT_DIR / n, False)]
    if stale:
        print(f"generated code is stale: {stale}; run `make generate`", file=sys.stderr)
        return 1
    print("generated code is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
