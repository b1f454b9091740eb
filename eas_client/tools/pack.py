"""``eas pack DIR``: validate a processor directory and build a reproducible ``tar.gz`` of it.

Two packs of the same files are byte-identical: entries are sorted, and every entry gets the same
mtime, owner and mode, and the gzip header carries no time or file name. ``ENV/`` (the packaged
environment), caches and ``.git`` are left out unless asked for.

Example::

    from eas_client.tools.pack import pack

    result = pack("my_service", "my_service.tar.gz")
    print(result.size, result.sha256)
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Left out of every pack unless named in ``include``: the packaged environment, VCS data, caches.
DEFAULT_EXCLUDES = ("ENV", ".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv")
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
# 2000-01-01T00:00:00Z: a fixed time, so the bytes do not depend on when files were touched.
FIXED_MTIME = 946684800
PROCESSOR_CHECK_TIMEOUT_S = 60.0


class PackError(Exception):
    """A processor directory that cannot be packed; the message names the problem and the fix."""


@dataclass(frozen=True)
class PackResult:
    """What :func:`pack` wrote: the file, its size in bytes, its SHA-256 and the entries."""

    path: Path
    size: int
    sha256: str
    entries: tuple[str, ...]


def validate_app_json(directory: str | Path) -> dict[str, Any]:
    """Read ``DIR/app.json`` and check what EAS needs to create a Python processor service.

    Example::

        doc = validate_app_json("my_service")  # raises PackError naming the fix
    """
    root = Path(directory)
    path = root / "app.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackError(f"{path} is missing; create it with `eas init {root}` or write one") from None
    except (OSError, ValueError) as exc:
        raise PackError(f"{path} is not valid JSON ({exc}); fix the file") from None
    if not isinstance(doc, dict):
        raise PackError(f'{path} must hold a JSON object, e.g. {{"name": "my-service", ...}}')
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PackError(f'{path}: "name" is missing or empty; add "name": "<service name>"')
    ptype = doc.get("processor_type")
    if ptype != "python":
        raise PackError(f'{path}: "processor_type" is {ptype!r}; eas pack packs "python" processors')
    entry = doc.get("processor_entry")
    if not isinstance(entry, str) or not entry.strip():
        raise PackError(f'{path}: "processor_entry" is missing; add "processor_entry": "./app.py"')
    if not (root / entry).is_file():
        raise PackError(
            f"{path}: processor_entry {entry!r} is not a file in {root}; fix the path (relative to {root})"
        )
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        raise PackError(f'{path}: "metadata" is missing; add "metadata": {{"instance": 1, "cpu": 1, ...}}')
    for key in ("instance", "cpu", "memory"):
        value = metadata.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise PackError(f"{path}: metadata.{key} must be a positive whole number, not {value!r}")
    return doc


# Runs in a fresh interpreter: imports the entry as a plain module (so its __main__ block does not
# serve) and prints the BaseProcessor subclasses it defines, one per line.
_CHECK_SCRIPT = """
import importlib.util, sys
path = sys.argv[1]
spec = importlib.util.spec_from_file_location("_eas_pack_entry", path)
module = importlib.util.module_from_spec(spec)
sys.modules["_eas_pack_entry"] = module
spec.loader.exec_module(module)
for name, obj in sorted(vars(module).items()):
    if isinstance(obj, type) and obj.__module__ == "_eas_pack_entry" and any(
        base.__name__ == "BaseProcessor" for base in obj.__mro__[1:]
    ):
        print(name)
"""


def check_processor(directory: str | Path, entry: str, *, timeout: float = PROCESSOR_CHECK_TIMEOUT_S) -> str:
    """Import ``entry`` in a subprocess and return the name of its one ``BaseProcessor`` subclass."""
    root = Path(directory).resolve()
    env = dict(os.environ)
    # The directory first (its own modules), then what this interpreter sees (the allspark stand-in).
    env["PYTHONPATH"] = os.pathsep.join([str(root), *sys.path[1:]])
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHECK_SCRIPT, str(root / entry)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PackError(
            f"importing {entry} took over {timeout:g}s; move slow work (model loading) into initialize()"
        ) from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise PackError(f"{entry} fails to import: {last}; fix it so `python -c 'import app'` works")
    names = done.stdout.split()
    if len(names) != 1:
        found = ", ".join(names) if names else "none"
        raise PackError(
            f"{entry} must define exactly one allspark.BaseProcessor subclass (found: {found}); "
            "keep one processor class per entry file"
        )
    return names[0]


def collect(directory: str | Path, include: Iterable[str] = ()) -> list[str]:
    """The relative POSIX paths of the files to pack, sorted."""
    root = Path(directory)
    wanted = set(include)
    excluded = {x for x in DEFAULT_EXCLUDES if x not in wanted}
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in excluded)
        for filename in filenames:
            if filename.endswith(EXCLUDED_SUFFIXES):
                continue
            full = Path(dirpath) / filename
            if full.is_symlink() or not full.is_file():
                continue
            files.append(full.relative_to(root).as_posix())
    return sorted(files)


def build_archive(directory: str | Path, files: Sequence[str]) -> bytes:
    """A gzip'd tar of ``files`` (relative to ``directory``) whose bytes depend only on their contents."""
    root = Path(directory)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in files:
            data = (root / rel).read_bytes()
            executable = os.access(root / rel, os.X_OK)
            info = tarfile.TarInfo(rel)
            info.size = len(data)
            info.mtime = FIXED_MTIME
            info.mode = 0o755 if executable else 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    # mtime=0 and no file name: the gzip header is the same on every run.
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def pack(
    directory: str | Path,
    output: str | Path | None = None,
    *,
    include: Iterable[str] = (),
    check: bool = True,
) -> PackResult:
    """Validate ``directory`` and write its reproducible package (default ``<name>.tar.gz`` beside it).

    Example::

        result = pack("my_service")  # -> my_service.tar.gz, same bytes on every run
    """
    root = Path(directory)
    if not root.is_dir():
        raise PackError(f"{root} is not a directory; pass the processor directory (with app.json)")
    doc = validate_app_json(root)
    if check:
        check_processor(root, doc["processor_entry"])
    target = Path(output) if output is not None else root.resolve().parent / f"{doc['name']}.tar.gz"
    files = [f for f in collect(root, include) if (root / f).resolve() != target.resolve()]
    data = build_archive(root, files)
    target.write_bytes(data)
    return PackResult(target, len(data), hashlib.sha256(data).hexdigest(), tuple(files))


def add_command(sub: Any) -> None:
    """Register ``eas pack`` on the ``eas`` parser's subcommands."""
    cmd = sub.add_parser("pack", help="validate a processor directory and build its reproducible tar.gz")
    cmd.add_argument("dir", help="processor directory (app.json, processor_entry, your modules)")
    cmd.add_argument("-o", "--output", default=None, help="package file (default: ../<name>.tar.gz)")
    cmd.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="NAME",
        help="pack a directory left out by default (ENV, .git, __pycache__, ...); repeatable",
    )
    cmd.add_argument("--no-check", action="store_true", help="skip importing the processor in a subprocess")
    cmd.add_argument(
        "--upload",
        default=None,
        metavar="oss://BUCKET/PREFIX/",
        help="upload the package to OSS (needs eas-client[deploy]) and write app.json's processor_path "
        "into <dir>/app.packed.json",
    )
    cmd.add_argument(
        "--region",
        default=None,
        help="OSS region for --upload (default: app.json region, ALIBABA_CLOUD_REGION_ID)",
    )
    cmd.set_defaults(func=run)


def run(args: Any) -> int:
    """``eas pack`` from parsed arguments."""
    try:
        result = pack(args.dir, args.output, include=args.include, check=not args.no_check)
    except PackError as exc:
        print(f"eas pack: {exc}", file=sys.stderr)
        return 1
    print(f"packed {len(result.entries)} files -> {result.path}")
    print(f"  size {result.size} bytes, sha256 {result.sha256}")
    if args.upload:
        from .oss_upload import UploadError, upload_package

        try:
            url, copy = upload_package(
                result.path, args.upload, Path(args.dir) / "app.json", region=args.region
            )
        except UploadError as exc:
            print(f"eas pack: {exc}", file=sys.stderr)
            return 1
        print(f"uploaded -> {url}")
        print(f"  wrote processor_path into {copy}; create the service with `eas deploy {copy}`")
    return 0
