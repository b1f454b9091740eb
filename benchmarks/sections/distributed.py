"""Rows/s of distributed scoring on this machine: Ray Data (one actor, one task at a time) and
Spark (``local[2]``, mapInPandas and mapInArrow) against single-process
``AsyncEASClient.predict_many``, the same rows, the same service, the same CPU: every client-side
process (the single process, or the engine with its scheduler and workers) on the client core,
``eas serve --instances 3`` on the server core.

Each engine starts (``ray.init``, the SparkSession) before its clock does; everything a scoring
job does is inside it: Ray's actors start per job, its task workers and Spark's Python workers
are reused. Every engine job runs between two single-process runs and is compared with their
mean, ``ROUNDS`` times, so the drift of a shared machine hits both sides. Each contender also
scores ``ROWS // 10`` rows first: its workers' peak resident memory (``VmHWM`` from /proc) at
both row counts shows whether memory per worker grows with the rows. On 2 cores expect parity,
not a speed-up; the target is that the engine adds at most 20% overhead. Skipped in the quick
run (the engines' start alone would take most of its budget) and without the extras.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._common import RESULTS, ROOT, Result, Skip, server_cpu_prefix
from .._target import free_port, stop_process, track, wait_port

TITLE = "Distributed scoring: Ray Data and Spark vs single-process predict_many"
GROUP = "distributed"
APP = ROOT.parent / "tests" / "integrations" / "doubler_app.py"
TOKEN = "bench-distributed"
ROWS = int(os.environ.get("BENCH_DISTRIBUTED_ROWS", "100000"))  # fewer for a rough look
SMALL = max(1, ROWS // 10)  # each contender's first job: the memory figure at a second row count
# Each contender's job runs this many times, each between two single-process runs.
ROUNDS = int(os.environ.get("BENCH_DISTRIBUTED_ROUNDS", "3"))
SINGLE_CONCURRENCY = 32
# Ray: one worker for the one client core (docs/distributed.md sizes workers by cores), with all
# of the single process's concurrency. Spark: local[2], the two Python workers the tests use.
RAY_CONCURRENCY = 32
SPARK_WORKERS = 2
SPARK_CONCURRENCY = 16  # per worker
BATCH = 10_000  # rows per Ray map_batches call, as Spark's default Arrow batch
# Contender names, also the keys of this section's targets in _report.TARGETS.
RAY_NAME = f"Ray Data: 1 actor x c={RAY_CONCURRENCY}, batches of {BATCH:,}"
RAY_TASKS_NAME = f"Ray Data: 1 task at a time x c={RAY_CONCURRENCY}, batches of {BATCH:,}"
SPARK_NAMES = {
    api: f"Spark local[{SPARK_WORKERS}]: {api}, c={SPARK_CONCURRENCY} per worker"
    for api in ("mapInPandas", "mapInArrow")
}


@dataclass
class Job:
    """One scoring job: wall time, when the first scored batch reached the driver (Ray only), the
    peak resident memory (MiB) of each engine worker process that ran it, and the single process's
    rate around it (the mean of the runs just before and just after)."""

    rows: int
    seconds: float
    first_batch: float | None
    peak_mib: list[float]
    first_rows: int = 0
    single_rps: float | None = None

    @property
    def ratio(self) -> float | None:
        return None if not self.single_rps else self.rows / self.seconds / self.single_rps

    @property
    def ratio_after_first(self) -> float | None:
        """The ratio once the workers are up: the rows after the first batch over the time after it."""
        if self.first_batch is None or not self.single_rps or self.seconds <= self.first_batch:
            return None
        if self.rows <= self.first_rows:  # one batch: nothing came after it
            return None
        return (self.rows - self.first_rows) / (self.seconds - self.first_batch) / self.single_rps


@dataclass
class Jobs:
    """Each contender's small job (the memory figure at a second row count) and its full ones."""

    small: dict[str, Job] = field(default_factory=dict)
    full: dict[str, list[Job]] = field(default_factory=dict)


class PeakRss:
    """The peak resident set (``VmHWM``) of this process's descendants that ``is_worker`` picks.

    ``VmHWM`` is the kernel's own high-water mark, so sampling only has to see a process once
    before it exits (every 0.25 s, a few /proc reads: noise next to the scoring). Workers that
    outlive a job (Spark reuses its Python workers) have their mark reset first, through
    ``/proc/<pid>/clear_refs``, so each job's figure is its own.
    """

    def __init__(self, is_worker: Callable[[str, str], bool]) -> None:
        self._is_worker = is_worker
        self._peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="peak-rss", daemon=True)

    def __enter__(self) -> PeakRss:
        for pid in self._workers():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                pass  # then the figure is the process's lifetime peak, still an upper bound
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def peaks_mib(self) -> list[float]:
        return sorted(kib / 1024 for kib in self._peaks.values())

    def _loop(self) -> None:
        while not self._stop.wait(0.25):
            self._sample()

    def _sample(self) -> None:
        for pid in self._workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    self._peaks[pid] = max(self._peaks.get(pid, 0), int(line.split()[1]))

    def _workers(self) -> list[int]:
        procs = _descendants()
        return [
            pid for pid, (ppid, cmd) in procs.items() if self._is_worker(cmd, procs.get(ppid, (0, ""))[1])
        ]


def _descendants() -> dict[int, tuple[int, str]]:
    """This process's descendants (pid: parent pid, command line): Ray's raylet and Spark's JVM
    start the workers, not us, so follow the whole tree."""
    procs: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        procs[int(entry)] = (ppid, cmd)
    mine = {os.getpid()}
    grown = True
    while grown:
        more = {pid for pid, (ppid, _) in procs.items() if ppid in mine} - mine
        grown = bool(more)
        mine |= more
    return {pid: procs[pid] for pid in mine if pid in procs and pid != os.getpid()}


def _engine_cpu() -> dict[int, float]:
    """CPU seconds used so far by each of the engine's processes: every descendant but the service."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for pid, (_, cmd) in _descendants().items():
        if "eas_client serve" in cmd:
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return out


def _ray_actor(cmd: str, parent: str) -> bool:
    return "MapWorker" in cmd


def _ray_task_worker(cmd: str, parent: str) -> bool:
    return "score_batch" in cmd  # Ray titles a task worker by the task it runs


def _spark_worker(cmd: str, parent: str) -> bool:
    return "pyspark.daemon" in cmd and "pyspark.daemon" in parent  # forked workers, not the daemon


@contextmanager
def _service() -> Iterator[str]:
    port = free_port()
    cmd = [
        sys.executable, "-m", "eas_client", "serve", str(APP), "--service", "doubler",
        "--instances", "3", "--port", str(port), "--token", TOKEN,
    ]  # fmt: skip
    proc = track(subprocess.Popen([*server_cpu_prefix(), *cmd], cwd=ROOT.parent, stdout=subprocess.DEVNULL))
    try:
        wait_port(port, proc, timeout=30)
        yield f"http://127.0.0.1:{port}/api/predict/doubler"
    finally:
        stop_process(proc)


def _rows(n: int) -> list[bytes]:
    return [str(i).encode() for i in range(1, n + 1)]


def _single(endpoint: str, data: list[bytes]) -> float:
    from eas_client import AsyncEASClient

    async def go() -> float:
        async with AsyncEASClient(endpoint, TOKEN) as client:
            start = time.monotonic()
            answers = await client.predict_many(data, concurrency=SINGLE_CONCURRENCY)
            took = time.monotonic() - start
        assert not any(isinstance(a, Exception) for a in answers)
        return took

    return asyncio.run(go())


class Singles:
    """The single-process runs, interleaved with the engines' jobs, and how much CPU the engines'
    idle processes (raylet, GCS, Spark's JVM) took from the client core while they ran."""

    def __init__(self, endpoint: str, data: list[bytes]) -> None:
        self.endpoint, self.data = endpoint, data
        self.seconds: list[float] = []
        self.engine_cpu: dict[str, tuple[float, float]] = {}  # engine: (its CPU s, wall s)

    def run(self, engine: str) -> float:
        """One run; its rows/s."""
        before = _engine_cpu()
        took = _single(self.endpoint, self.data)
        # Per process: one that exits meanwhile (a job's actor) must not take its past CPU with it.
        spent = sum(cpu - before.get(pid, 0.0) for pid, cpu in _engine_cpu().items())
        used, wall = self.engine_cpu.get(engine, (0.0, 0.0))
        self.engine_cpu[engine] = (used + spent, wall + took)
        self.seconds.append(took)
        return len(self.data) / took


def _rounds(engine: str, modes: dict[str, Callable[[int], Job]], singles: Singles, jobs: Jobs) -> None:
    """Each mode's small job, then ``ROUNDS`` full jobs per mode, each between two single-process
    runs: a job is compared with the mean of its two neighbours, so the drift of a shared machine
    (the single process alone moves by a third between runs here) hits both sides."""
    for name, job in modes.items():
        jobs.small[name] = job(SMALL)
    before = singles.run(engine)
    for _ in range(ROUNDS):
        for name, job in modes.items():
            done = job(ROWS)
            after = singles.run(engine)
            done.single_rps = (before + after) / 2
            jobs.full.setdefault(name, []).append(done)
            before = after


def _ray(endpoint: str, singles: Singles, jobs: Jobs) -> None:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        datasets = {
            n: ray.data.from_items([{"data": d} for d in _rows(n)]).materialize() for n in (SMALL, ROWS)
        }
        modes: dict[str, Callable[[int], Job]] = {
            RAY_NAME: lambda n: _ray_job(datasets[n], n, endpoint, {"actors": 1}, _ray_actor),
            RAY_TASKS_NAME: lambda n: _ray_job(datasets[n], n, endpoint, {"tasks": 1}, _ray_task_worker),
        }
        _rounds("Ray", modes, singles, jobs)
    finally:
        ray.shutdown()


def _ray_job(
    ds: Any, n: int, endpoint: str, mode: dict[str, Any], is_worker: Callable[[str, str], bool]
) -> Job:
    from eas_client.integrations.ray import score_dataset

    with PeakRss(is_worker) as rss:
        start = time.monotonic()
        first = None
        failed = scored = first_rows = 0
        out = score_dataset(ds, endpoint, TOKEN, concurrency=RAY_CONCURRENCY, batch_size=BATCH, **mode)
        # Streamed to the driver and counted there, as a job writing its output would: a
        # row-wise Dataset.filter would start more workers and time Ray's Python per row.
        for batch in out.iter_batches(batch_format="pyarrow", batch_size=None):
            if first is None:
                first, first_rows = time.monotonic() - start, batch.num_rows
            errors = batch.column("error")
            failed += len(errors) - errors.null_count
            scored += batch.num_rows
        took = time.monotonic() - start
    assert failed == 0 and scored == n, (failed, scored)
    return Job(n, took, first, rss.peaks_mib(), first_rows)


def _spark(endpoint: str, singles: Singles, jobs: Jobs) -> None:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(f"local[{SPARK_WORKERS}]")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        spark.sparkContext.setLogLevel("ERROR")
        frames = {}
        for n in (SMALL, ROWS):
            df = (
                spark.createDataFrame([(d,) for d in _rows(n)], "data binary")
                .repartition(SPARK_WORKERS)
                .cache()
            )
            df.count()
            frames[n] = df
        modes: dict[str, Callable[[int], Job]] = {
            SPARK_NAMES["mapInPandas"]: lambda n: _spark_job(frames[n], n, endpoint, "pandas"),
            SPARK_NAMES["mapInArrow"]: lambda n: _spark_job(frames[n], n, endpoint, "arrow"),
        }
        _rounds("Spark", modes, singles, jobs)
        for df in frames.values():
            df.unpersist()
    finally:
        spark.stop()


def _spark_job(df: Any, n: int, endpoint: str, fmt: str) -> Job:
    from eas_client.integrations.spark import score_dataframe

    with PeakRss(_spark_worker) as rss:
        start = time.monotonic()
        scored = score_dataframe(df, endpoint, TOKEN, concurrency=SPARK_CONCURRENCY, batch_format=fmt)
        failed = scored.where("error is not null").count()
        took = time.monotonic() - start
    assert failed == 0
    return Job(n, took, None, rss.peaks_mib())


def run(quick: bool) -> list[Result]:
    if quick:
        raise Skip("the engines' start (~10 s each) does not fit the quick run; run make bench")
    engines: list[Callable[[str, Singles, Jobs], None]] = []
    candidates: list[tuple[str, Callable[[str, Singles, Jobs], None]]] = [("ray", _ray), ("pyspark", _spark)]
    for module, fn in candidates:
        try:
            __import__(module)
        except ImportError:
            continue
        engines.append(fn)
    if not engines:
        raise Skip("neither ray nor pyspark is installed (pip install -e '.[ray,spark]')")
    started = time.monotonic()
    jobs = Jobs()
    with _service() as endpoint:
        singles = Singles(endpoint, _rows(ROWS))
        for fn in engines:
            fn(endpoint, singles, jobs)
    base = ROWS * len(singles.seconds) / sum(singles.seconds)
    results = [
        Result(
            "distributed", GROUP, f"single process: predict_many c={SINGLE_CONCURRENCY}", rps=base,
            runs=len(singles.seconds), calls=ROWS, role="raw",
            extra={"rows": ROWS, "rows/s per run": " / ".join(f"{ROWS / s:,.0f}" for s in singles.seconds)},
        )
    ]  # fmt: skip
    for name, full in jobs.full.items():
        ratios = [j.ratio or 0.0 for j in full]
        firsts = [j.first_batch for j in full if j.first_batch is not None]
        after = [r for r in (j.ratio_after_first for j in full) if r is not None]
        peak = max((max(j.peak_mib, default=0.0) for j in full), default=0.0)
        results.append(
            Result(
                "distributed", GROUP, name, rps=ROWS * len(full) / sum(j.seconds for j in full),
                runs=len(full), calls=ROWS,
                extra={
                    "rows": ROWS,
                    "vs single, median": round(statistics.median(ratios), 2),
                    "vs single per round": " / ".join(f"{r:.2f}" for r in ratios),
                    "first batch s": round(statistics.median(firsts), 1) if firsts else None,
                    "vs single after the first batch": round(statistics.median(after), 2) if after else None,
                    "peak RSS/worker MiB": f"{max(jobs.small[name].peak_mib, default=0.0):.0f} at {SMALL:,}, "
                    f"{peak:.0f} at {ROWS:,}",
                },
            )
        )  # fmt: skip
    _write(results, singles, time.monotonic() - started)
    return results


def _write(results: list[Result], singles: Singles, took: float) -> None:
    """``results/distributed.md``: this run's table, and what its columns say about the gap."""
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    pinned = "every client-side process (the single process, or the engine's driver, scheduler and " + (
        "workers) on core 0, `eas serve` on core 1" if server_cpu_prefix() else "workers) unpinned"
    )
    idle = ", ".join(
        f"{engine} {used / wall:.0%}" for engine, (used, wall) in singles.engine_cpu.items() if wall > 0
    )
    lines = [
        "# Distributed scoring: Ray Data and Spark vs single-process predict_many",
        "",
        f'{ROWS:,} rows (`b"1"` ... `b"{ROWS}"`) through the doubler test processor '
        "(`tests/integrations/doubler_app.py`) under `eas serve --instances 3` in its own process; "
        f"{pinned}. Single process: `AsyncEASClient.predict_many` at c={SINGLE_CONCURRENCY}. Ray: one "
        f"worker (an actor, or one task at a time) at c={RAY_CONCURRENCY}, batches of {BATCH:,} rows; "
        f"Spark: local[{SPARK_WORKERS}], c={SPARK_CONCURRENCY} per worker, its default Arrow batches of "
        f"10,000. Each contender's job ran {ROUNDS} times, each time between two single-process runs; "
        "its ratio in a round is to the mean of those two. The engine starts (`ray.init`, the "
        "SparkSession) before the clock; everything a job does is inside it. Each contender first "
        f"scores {SMALL:,} rows, for the memory figure at a second row count. Ray {ver('ray')}, "
        f"pyspark {ver('pyspark')}, pandas {ver('pandas')}, pyarrow {ver('pyarrow')}; 2 shared cores, "
        f"so compare ratios, not absolute figures. Took {took:.0f} s.",
        "",
        "| contender | rows/s | vs single process: median (each round) | first batch at | "
        f"after the first batch | peak RSS per worker at {SMALL:,} / {ROWS:,} rows |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        x = r.extra
        if r.role == "raw":
            lines.append(
                f"| {r.name} | {r.rps or 0:,.0f} | 1.00× ({x['rows/s per run']} rows/s) | — | — | — |"
            )
            continue
        first = x.get("first batch s")
        after = x.get("vs single after the first batch")
        rss = x["peak RSS/worker MiB"].replace(f" at {SMALL:,}, ", " / ").replace(f" at {ROWS:,}", " MiB")
        lines.append(
            f"| {r.name} | {r.rps or 0:,.0f} | "
            f"**{x['vs single, median']:.2f}×** ({x['vs single per round']}) | "
            + ("—" if first is None else f"{first} s")
            + " | "
            + ("—" if after is None else f"{after:.2f}×")
            + f" | {rss} |"
        )
    lines += [
        "",
        "While the single process ran, the engines' idle processes used this share of the client core: "
        f"{idle}.",
        "",
        EXPLANATION.strip(),
        "",
        "Command: `python -m benchmarks --only distributed` (or `python -m benchmarks.sections.distributed`, "
        "which writes only this file); `BENCH_DISTRIBUTED_ROWS=N` for fewer rows, "
        "`BENCH_DISTRIBUTED_ROUNDS=N` for more or fewer rounds.",
        "",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "distributed.md").write_text("\n".join(lines))


EXPLANATION = """
How to read it:

- **Rounds**: the machine is shared, and the single process alone moves by a third or more
  between two runs minutes apart. So every engine job runs between two single-process runs and
  is compared with their mean; the median over the rounds is the figure (the goal: at least
  0.8×, the engine adding at most 20%), the rounds in brackets show the spread. The rows/s column
  is a contender's rows over the time of all its jobs (`latest.md` divides it by the mean rate of
  every single-process run).
- **Ray: one worker at c=32, batches of 10,000.** The client side has one core, so a second Ray
  worker process would only take turns with the first: two tasks at c=16 spent 314 µs of CPU per
  row, one at c=32 257 µs, and the one was faster side by side. Ray hands a worker one batch at a
  time at a fixed cost (a new task in task mode, the next call on the actor) while the worker has
  nothing in flight, so small batches cost throughput: one task at c=32 scored at a median 0.79×
  with batches of 2,000 rows, 0.83× with 4,096 and 1.03× with 10,000 (actors 0.71×, 0.89×,
  0.87×; docs/distributed.md has the table). A py-spy profile of a task worker put 91% of its
  samples in the client's event loop thread and 5% in Ray's own thread: the worker's work is the
  scoring, so the rest of the gap was Ray's hand-overs, not per-row work.
- **first batch at / after the first batch** (Ray): when the first scored batch reached the
  driver, which includes scoring those 10,000 rows, and the ratio over the rest of the job. Ray
  starts the map actors with every job, inside the clock: a new Python process that imports Ray
  Data, pandas, pyarrow and the client (a `map_batches` class that does nothing and imports
  nothing reached its actors 5.2–6.7 s after its job started: the start is Ray's). Task workers
  outlive a job and keep their clients (one worker process served every round), and a warm no-op
  task job over 100,000 rows takes 0.6–0.8 s; yet a task job's first batch also reaches the driver
  seconds after its rows are scored (Ray Data's executor on the driver shares the core with the
  worker), so for tasks the second figure flatters. Judge by the whole job, the third column.
- **peak RSS per worker**: the largest `VmHWM` (the kernel's high-water mark of resident memory)
  of any Ray worker or forked Spark Python worker during the job, reset before each job. A worker
  holds one batch and one client whatever the number of rows, so the two figures should match;
  one that grows with the rows would be a leak.
- **the engines' idle processes** (raylet, GCS, Ray's helper actors; Spark's JVM) also run while
  the single process does, and take that share of its core.

Earlier configurations, for the record: two workers at c=16 each and batches of 2,000 gave Ray
actors 0.60–0.88× and Ray tasks 0.60–0.78× over five runs, Spark mapInPandas 0.84–1.12× and
mapInArrow 0.77–0.96×, each run measured once against a single process before and after all the
engines. A first rough 5,000-row run gave 0.32× (Ray) and 0.38× (Spark): mostly the benchmark,
whose clock ended with a row-wise `Dataset.filter` counting errors (about 8 s per 20,000 rows).
"""


def main() -> None:
    """Run this section alone, pinned as ``python -m benchmarks`` pins it; writes distributed.md."""
    from .._common import pin_client_cpu

    print(pin_client_cpu(), flush=True)
    for r in run(quick=False):
        print(f"{r.name}: {r.rps or 0:,.0f} rows/s {r.extra}", flush=True)
    print(f"wrote {RESULTS / 'distributed.md'}", flush=True)


if __name__ == "__main__":
    main()
