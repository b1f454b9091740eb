"""Where EASClient.predict spends its time: ``python -m benchmarks.profile_client [--calls N]``.

Three views of the same sequential predict loop against the nginx target:

1. per-call cost split: raw urllib3 ``urlopen`` (the engine alone), EASClient with the urllib3
   engine, and EASClient with a stub transport that returns a canned response (the client's own
   work with no engine and no socket). ``EASClient - raw`` is what the wrapper adds per call.
2. cProfile, restricted to eas_client functions: own time per call (µs) and calls per predict.
3. pyinstrument's call tree of the whole loop (written to benchmarks/.work/profile.html too).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable

from ._common import BODY, HEADERS, TOKEN, WORK, pin_client_cpu
from ._target import nginx


class StubTransport:
    """A transport with no engine: EASClient accepts any object with send() and close()."""

    def __init__(self) -> None:
        from eas_client._core.flow import RawResponse

        self._resp = RawResponse(200, {"Content-Type": "text/plain"}, b"True")

    def send(self, *args: object) -> object:
        return self._resp

    def close(self) -> None:
        pass


def _per_call_us(call: Callable[[], object], calls: int, rounds: int = 5) -> float:
    best = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        best.append((time.perf_counter() - start) / calls * 1e6)
    best.sort()
    return best[len(best) // 2]


def split(url: str, port: int, calls: int) -> None:
    import urllib3

    from eas_client import EASClient

    pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, retries=False)
    path = url.split(str(port), 1)[1]
    client = EASClient(url, token=TOKEN, engine="urllib3")  # the engine compared with raw urllib3
    stub = EASClient(url, token=TOKEN, http_client=StubTransport())
    contenders: dict[str, Callable[[], object]] = {
        "raw": lambda: pool.urlopen("POST", path, body=BODY, headers=HEADERS).data,
        "ours": lambda: client.predict(BODY),
        "stub": lambda: stub.predict(BODY),
    }
    for call in contenders.values():  # warm connections and caches
        _per_call_us(call, 200, rounds=1)
    # Interleaved like the benchmark itself: the machine's drift hits all three alike.
    runs: dict[str, list[float]] = {name: [] for name in contenders}
    for r in range(5):
        for name, call in list(contenders.items())[r % 3 :] + list(contenders.items())[: r % 3]:
            runs[name].append(_per_call_us(call, calls if name != "stub" else calls * 10, rounds=1))
    raw, ours, only = (sorted(runs[n])[2] for n in ("raw", "ours", "stub"))
    print("\n== per-call cost (median of 5 runs) ==")
    print(f"raw urllib3 urlopen          {raw:8.1f} µs")
    print(f"EASClient.predict (urllib3)  {ours:8.1f} µs   (+{ours - raw:.1f} µs over raw, {raw / ours:.2f}×)")
    print(f"EASClient, stub transport    {only:8.1f} µs   (the client's own work, no engine)")
    print(f"=> urllib3 adapter + engine options ~ {ours - raw - only:.1f} µs")
    client.close()
    pool.close()


def breakdown(url: str, calls: int) -> None:
    """The client's own steps, each timed alone (stub transport: no engine, no socket)."""
    from eas_client import EASClient
    from eas_client._core.flow import RawResponse

    client = EASClient(url, token=TOKEN, http_client=StubTransport())
    req = client._prepare(BODY, None, None, None, None, None)
    raw = RawResponse(200, {}, b"True")
    step = client._evaluate(req, 1, raw, 0.0, time.time())

    def one_loop() -> object:  # the call loop alone: first request yielded, the answer sent back
        flow = client._flow(req)
        next(flow)
        try:
            flow.send(raw)
        except StopIteration as done:
            return done.value
        raise AssertionError("a 200 ends the loop")

    n = calls * 20
    steps: dict[str, Callable[[], object]] = {
        "BaseClient._prepare (encode, headers copy, PreparedRequest)": lambda: client._prepare(
            BODY, None, None, None, None, None
        ),
        "BaseClient._flow (one attempt: clocks, WireRequest, evaluate)": one_loop,
        "BaseClient._finish + _result": lambda: client._result(req, client._finish(step)),
        "EASClient.predict, stub transport (all of it)": lambda: client.predict(BODY),
    }
    print("\n== the client's own steps, each alone (µs per call, median of 5 runs) ==")
    for name, call in steps.items():
        print(f"{_per_call_us(call, n):8.2f} µs  {name}")


def cprofile_table(url: str, calls: int) -> None:
    from eas_client import EASClient

    client = EASClient(url, token=TOKEN)
    for _ in range(200):
        client.predict(BODY)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        client.predict(BODY)
    prof.disable()
    client.close()
    stats = pstats.Stats(prof)
    rows = []
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((tottime, cumtime, ncalls, f"{_short(filename)}:{line}({func})"))
    rows.sort(reverse=True)
    print(
        f"\n== cProfile, {calls} predict calls: top functions by own time (cProfile inflates small calls) =="
    )
    print(f"{'own µs/call':>12} {'cum µs/call':>12} {'calls/predict':>14}  function")
    for tottime, cumtime, ncalls, name in rows[:35]:
        print(f"{tottime / calls * 1e6:12.2f} {cumtime / calls * 1e6:12.2f} {ncalls / calls:14.2f}  {name}")


def _short(filename: str) -> str:
    for marker in ("eas_client/", "urllib3/", "http/", "email/"):
        if marker in filename:
            return marker + filename.split(marker, 1)[1]
    return filename.rsplit("/", 1)[-1]


def pyinstrument_tree(url: str, calls: int) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("\npyinstrument is not installed: skipping the call tree (pip install pyinstrument)")
        return
    from eas_client import EASClient

    client = EASClient(url, token=TOKEN)
    for _ in range(200):
        client.predict(BODY)
    profiler = Profiler(interval=0.0001)
    profiler.start()
    for _ in range(calls):
        client.predict(BODY)
    profiler.stop()
    client.close()
    WORK.mkdir(parents=True, exist_ok=True)
    html = WORK / "profile.html"
    html.write_text(profiler.output_html())
    print(f"\n== pyinstrument call tree ({calls} calls; html: {html}) ==")
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_client")
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args(argv)
    print(pin_client_cpu())
    target = nginx()
    try:
        split(target.url, target.port, args.calls)
        breakdown(target.url, args.calls)
        cprofile_table(target.url, args.calls)
        pyinstrument_tree(target.url, args.calls)
    finally:
        target.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
