"""latest.md (tables with ratios, machine, versions, commands), latest.csv and latest.png."""

from __future__ import annotations

import csv
import importlib.metadata
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ._common import RESULTS as RESULTS  # reassigned by __main__ for --quick runs
from ._common import ROOT, Result
from .sections import distributed


@dataclass
class Section:
    name: str
    title: str
    results: list[Result]
    note: str = ""  # why a section was skipped or failed


def ratios(results: Sequence[Result]) -> dict[int, dict[str, float]]:
    """For each result (by index): its req/s over the group's raw, official and floor contenders."""
    refs: dict[tuple[str, str], float] = {}
    for r in results:
        if r.role in ("raw", "official", "floor", "raw-httpx") and r.rps:
            refs[(r.group, r.role)] = r.rps
    out: dict[int, dict[str, float]] = {}
    for i, r in enumerate(results):
        if not r.rps or r.role == "ceiling":
            continue
        out[i] = {role: r.rps / ref for (group, role), ref in refs.items() if group == r.group}
    return out


# (label, group, contender, reference role, target ratio) — reported, never asserted.
_SYNC = "EASClient.predict (http.client engine, default)"
_ASYNC = "AsyncEASClient.predict_many (aiohttp engine)"
TARGETS = [
    ("sync predict vs raw urllib3", "python-sync", _SYNC, "raw", 0.9),
    ("sync predict vs eas-prediction", "python-sync", _SYNC, "official", 1.3),
    ("sync predict vs http.client floor (stretch)", "python-sync", _SYNC, "floor", 0.75),
    ("async predict_many vs raw aiohttp", "python-async", _ASYNC, "raw", 0.8),
    ("async predict_many vs raw httpx async", "python-async", _ASYNC, "raw-httpx", 5.0),
    ("Ray Data scoring vs single-process predict_many", "distributed", distributed.RAY_NAME, "raw", 0.8),
    (
        "Ray Data tasks scoring vs single-process predict_many",
        "distributed",
        distributed.RAY_TASKS_NAME,
        "raw",
        0.8,
    ),
    (
        "Spark mapInPandas scoring vs single-process predict_many",
        "distributed",
        distributed.SPARK_NAMES["mapInPandas"],
        "raw",
        0.8,
    ),
    (
        "Spark mapInArrow scoring vs single-process predict_many",
        "distributed",
        distributed.SPARK_NAMES["mapInArrow"],
        "raw",
        0.8,
    ),
]


def target_rows(results: Sequence[Result]) -> list[tuple[str, float | None, float | None, float, str]]:
    """(label, ratio by req/s, ratio by p50 latency, goal, verdict) per target.

    req/s is total calls over total time, so one stall from another tenant of a shared machine
    lands in it; the p50 ratio is immune to such stalls and shown next to it. The verdict goes by
    req/s and says so when only the p50 ratio meets the goal."""
    rat = ratios(results)
    rows = []
    for label, group, name, role, goal in TARGETS:
        ours = next(((i, r) for i, r in enumerate(results) if r.group == group and r.name == name), None)
        ref = next((r for r in results if r.group == group and r.role == role), None)
        value = rat.get(ours[0], {}).get(role) if ours else None
        by_p50 = ref.p50_us / ours[1].p50_us if ours and ref and ref.p50_us and ours[1].p50_us else None
        if value is None:
            verdict = "n/a"
        elif value >= goal:
            verdict = "met"
        else:
            verdict = "missed (met by p50)" if by_p50 is not None and by_p50 >= goal else "missed"
        rows.append((label, value, by_p50, goal, verdict))
    return rows


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "kernel": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
    }


def versions(extra: dict[str, str]) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("eas-client", "urllib3", "aiohttp", "httpx", "requests", "starlette", "uvicorn"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "not installed"
    out.update(extra)
    return out


def _fmt(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _times(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def _ratio_cell(rat: dict[str, float], role: str) -> str:
    return f"{rat[role]:.2f}×" if role in rat else "—"


def write_markdown(
    sections: Sequence[Section], *, quick: bool, pinning: str, commands: list[str], vers: dict[str, str]
) -> Path:
    results = [r for s in sections for r in s.results]
    rat = ratios(results)
    index = {id(r): i for i, r in enumerate(results)}
    mode = "quick (smoke run: few calls, numbers are rough)" if quick else "full"
    lines = [
        "# eas-client benchmarks: latest run",
        "",
        f"Mode: **{mode}**. Generated by `python -m benchmarks{' --quick' if quick else ''}`; method in "
        "[benchmarks/README.md](../README.md). Figures are medians over interleaved rounds; compare "
        "ratios, not absolute numbers, across machines.",
        "",
        "## Targets (reported, not asserted)",
        "",
        "| target | ratio by req/s | ratio by p50 latency | goal | |",
        "|---|---:|---:|---:|---|",
    ]
    for label, value, by_p50, goal, verdict in target_rows(results):
        lines.append(f"| {label} | {_times(value)} | {_times(by_p50)} | ≥ {goal}× | {verdict} |")
    for sec in sections:
        lines += ["", f"## {sec.title}", ""]
        if sec.note:
            lines += [f"> {sec.note}", ""]
        if not sec.results:
            continue
        lines += _table(sec.results, rat, index)
    lines += ["", "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in machine_info().items()]
    lines += [f"- pinning: {pinning}", "", "## Versions", ""]
    lines += [f"- {k}: {v}" for k, v in vers.items()]
    lines += ["", "## Commands", "", "```"] + commands + ["```", ""]
    path = RESULTS / "latest.md"
    path.write_text(_relative("\n".join(lines)))
    return path


def _table(results: Sequence[Result], rat: dict[int, dict[str, float]], index: dict[int, int]) -> list[str]:
    """One markdown table; a column no result of the section fills is left out."""
    rows: list[dict[str, str]] = []
    for r in results:
        cell = rat.get(index[id(r)], {})
        ours = r.name.startswith(("EASClient", "AsyncEASClient", "eas serve"))
        row = {
            "contender": f"**{r.name}**" if ours else r.name,
            "req/s": _fmt(r.rps),
            "p50 µs": _fmt(r.p50_us, 1),
            "p99 µs": _fmt(r.p99_us, 1),
            "vs raw": _ratio_cell(cell, "raw"),
            "vs official": _ratio_cell(cell, "official"),
            "vs floor": _ratio_cell(cell, "floor"),
            "runs": str(r.runs or "—"),
        }
        row.update({k: _cell(v) for k, v in r.extra.items()})
        row["note"] = r.note.replace("|", "\\|") or "—"
        rows.append(row)
    columns = [
        c
        for c in dict.fromkeys(k for row in rows for k in row)
        if any(row.get(c, "—") != "—" for row in rows)
    ]
    columns = ["contender", *(c for c in columns if c not in ("contender", "note")), "note"]
    align = ["---" if c in ("contender", "note") else "---:" for c in columns]
    out = ["| " + " | ".join(columns) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(row.get(c, "—") for c in columns) + " |" for row in rows]
    return out


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "—" if value in (None, "") else str(value)


def write_csv(sections: Sequence[Section]) -> Path:
    results = [r for s in sections for r in s.results]
    rat = ratios(results)
    path = RESULTS / "latest.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["section", "group", "contender", "role", "rps", "p50_us", "p99_us", "runs", "calls",
                    "vs_raw", "vs_official", "vs_floor", "note"])  # fmt: skip
        for i, r in enumerate(results):
            cell = rat.get(i, {})
            w.writerow([
                r.section, r.group, r.name, r.role,
                _num(r.rps), _num(r.p50_us), _num(r.p99_us), r.runs, r.calls,
                _num(cell.get("raw")), _num(cell.get("official")), _num(cell.get("floor")), _relative(r.note),
            ])  # fmt: skip
    return path


def _relative(text: str) -> str:
    """Paths inside the repository relative to its root: the committed results name no home dirs."""
    return text.replace(str(ROOT.parent) + "/", "")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def write_plot(sections: Sequence[Section]) -> tuple[Path | None, str]:
    """One horizontal bar chart of req/s per group; skipped with a note when matplotlib is missing."""
    # A chart from an earlier run must not sit next to this run's tables.
    (RESULTS / "latest.png").unlink(missing_ok=True)
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display on CI machines
        import matplotlib.pyplot as plt
    except ImportError:
        return None, "matplotlib is not installed: chart skipped (pip install matplotlib)"
    groups: dict[str, list[Result]] = {}
    for r in (r for s in sections for r in s.results):
        if r.rps:
            groups.setdefault(r.group, []).append(r)
    path = RESULTS / "latest.png"
    if not groups:
        return None, "no figures to plot"
    fig, axes = plt.subplots(
        len(groups), 1, figsize=(10, 1.2 + 0.45 * sum(len(v) + 2 for v in groups.values()))
    )
    axes_list = list(axes) if len(groups) > 1 else [axes]
    for ax, (group, items) in zip(axes_list, groups.items(), strict=True):
        names = [r.name for r in items][::-1]
        values = [r.rps or 0.0 for r in items][::-1]
        colors = [_color(r) for r in items][::-1]
        ax.barh(names, values, color=colors)
        ax.set_title(group)
        ax.set_xlabel("requests/s (higher is better)")
        for y, v in enumerate(values):
            ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path, ""


def _color(r: Result) -> str:
    if r.name.startswith(("EASClient", "AsyncEASClient", "eas serve")):
        return "tab:blue"
    return {"ceiling": "tab:gray", "official": "tab:red", "floor": "tab:green"}.get(r.role, "tab:orange")


def command_line() -> str:
    return " ".join([Path(sys.executable).name, "-m", "benchmarks", *sys.argv[1:]])
