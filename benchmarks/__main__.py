"""``python -m benchmarks [--quick] [--only SECTION ...]``: run every registered section, write
benchmarks/results/latest.{md,csv,png}.

Exit status: 0 when every section ran or was skipped for a reason it states (no nginx, no apt, no
network for the official SDK…); 1 only when a section crashed, which is a bug in the benchmark or
the client. A low number never fails the run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Sequence

from . import _common, _report
from ._common import RESULTS, Settings, Skip, pin_client_cpu
from ._report import Section, command_line, versions, write_csv, write_markdown, write_plot
from .sections import SECTIONS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a < 2 minute smoke run (rough numbers)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    args = parser.parse_args(argv)
    # Sections read the shared settings object, so it is filled in place before any of them runs.
    _common.SETTINGS.__dict__.update(Settings.make(args.quick).__dict__)
    if args.quick:
        # A smoke run (make test) must not overwrite the committed results of a full run.
        _report.RESULTS = _common.WORK / "results-quick"
        _report.RESULTS.mkdir(parents=True, exist_ok=True)
    pinning = pin_client_cpu()
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    sections: list[Section] = []
    crashed = False
    for name in [s for s in SECTIONS if not args.only or s in args.only]:  # registry order
        module = importlib.import_module(f"benchmarks.sections.{name}")
        title = str(module.TITLE)  # every section module defines TITLE
        print(f"[bench] {title} ...", flush=True)
        t0 = time.monotonic()
        try:
            sections.append(Section(name, title, list(module.run(args.quick))))
        except Skip as exc:
            sections.append(Section(name, title, [], note=f"Skipped: {exc}"))
        except Exception as exc:  # reported and the run goes on; the exit status says it crashed
            crashed = True
            traceback.print_exc()
            sections.append(Section(name, title, [], note=f"Crashed: {type(exc).__name__}: {exc}"))
        print(f"[bench]   {sections[-1].note or 'done'} ({time.monotonic() - t0:.1f}s)", flush=True)
    _write(sections, args.quick, pinning)
    print(f"[bench] finished in {time.monotonic() - started:.0f}s", flush=True)
    return 1 if crashed else 0


def _write(sections: list[Section], quick: bool, pinning: str) -> None:
    from . import _official, _target

    nginx_cmd = " ".join(_target._nginx.command) if _target._nginx is not None else "(nginx not started)"
    conf = str(_target._nginx.conf) if _target._nginx is not None else ""
    commands = [
        f"$ {command_line()}",
        f"# target: {nginx_cmd}",
        f"# target config: {conf} (generated; see NGINX_CONF in benchmarks/_target.py)",
        "# wrk: wrk -t1 -c<N> -d<S>s -s benchmarks/.work/post.lua <url>  (POST '2 105' + Authorization)",
        f"# official SDK: {_official.VENV}/bin/python benchmarks/_official_worker.py"
        " 127.0.0.1:<port> echo <token>",
        f"# written at {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}",
    ]
    vers = versions(
        {
            "nginx": _target.nginx_version(),
            "wrk": _target.wrk_version(),
            "eas-prediction (official)": _official.sdk_version(),
        }
    )
    md = write_markdown(sections, quick=quick, pinning=pinning, commands=commands, vers=vers)
    csv_path = write_csv(sections)
    png, note = write_plot(sections)
    if note:
        with md.open("a") as fh:
            fh.write(f"\nChart: {note}\n")
    print(f"[bench] wrote {md}, {csv_path}" + (f", {png}" if png else f" ({note})"), flush=True)
    print(md.read_text().split("\n## Machine")[0], flush=True)


if __name__ == "__main__":
    sys.exit(main())
