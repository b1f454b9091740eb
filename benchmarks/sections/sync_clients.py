"""Sequential keep-alive calls, one connection: EASClient (urllib3 and httpx engines) against the raw
engines, requests, an http.client loop (the floor for Python) and the official SDK."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from typing import Any

from .._common import (
    BODY,
    EXPECTED,
    HEADERS,
    SETTINGS,
    TOKEN,
    Result,
    Sample,
    Skip,
    interleave,
    summarize,
    time_sequential,
)
from .._official import OfficialWorker
from .._target import nginx

TITLE = "Python sync: sequential calls, keep-alive, one connection"
GROUP = "python-sync"

Call = Callable[[], object]
# A contender factory returns the call to time and the function that releases its resources.
Factory = Callable[[str, int], tuple[Call, Call]]


def _eas_default(url: str, port: int) -> tuple[Call, Call]:
    from eas_client import EASClient

    client = EASClient(url, token=TOKEN)  # the default sync engine: http.client + our pool
    return (lambda: client.predict(BODY)), client.close


def _eas_urllib3(url: str, port: int) -> tuple[Call, Call]:
    from eas_client import EASClient

    client = EASClient(url, token=TOKEN, engine="urllib3")
    return (lambda: client.predict(BODY)), client.close


def _eas_httpx(url: str, port: int) -> tuple[Call, Call]:
    import httpx

    from eas_client import EASClient

    http = httpx.Client()
    client = EASClient(url, token=TOKEN, http_client=http)

    def close() -> None:
        client.close()
        http.close()

    return (lambda: client.predict(BODY)), close


def _raw_urllib3(url: str, port: int) -> tuple[Call, Call]:
    import urllib3

    pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, retries=False)
    path = url.split(str(port), 1)[1]

    def call() -> bytes:
        data: bytes = pool.urlopen("POST", path, body=BODY, headers=HEADERS, preload_content=True).data
        return data

    return call, pool.close


def _raw_httpx(url: str, port: int) -> tuple[Call, Call]:
    import httpx

    client = httpx.Client()
    return (lambda: client.post(url, content=BODY, headers=HEADERS).content), client.close


def _requests(url: str, port: int) -> tuple[Call, Call]:
    try:
        import requests
    except ImportError:
        raise Skip("requests is not installed (pip install requests)") from None
    session = requests.Session()
    return (lambda: session.post(url, data=BODY, headers=HEADERS).content), session.close


def _http_client(url: str, port: int) -> tuple[Call, Call]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    path = url.split(str(port), 1)[1]

    def call() -> bytes:
        conn.request("POST", path, BODY, HEADERS)
        return conn.getresponse().read()

    return call, conn.close


# name -> (factory, role); the order is the first round's order.
CONTENDERS: dict[str, tuple[Factory, str]] = {
    "EASClient.predict (http.client engine, default)": (_eas_default, ""),
    "EASClient.predict (urllib3 engine)": (_eas_urllib3, ""),
    "EASClient.predict (httpx engine)": (_eas_httpx, ""),
    "raw urllib3 HTTPConnectionPool.urlopen": (_raw_urllib3, "raw"),
    "raw httpx.Client.post": (_raw_httpx, ""),
    "requests.Session.post": (_requests, ""),
    "http.client keep-alive loop": (_http_client, "floor"),
}
OFFICIAL = "official eas-prediction PredictClient"


def _check(name: str, value: Any) -> None:
    body = getattr(value, "response_data", value)
    if body != EXPECTED:
        raise RuntimeError(f"{name} got {body!r} from the target, expected {EXPECTED!r}")


def _time(name: str, factory: Factory, url: str, port: int) -> Sample:
    call, close = factory(url, port)
    try:
        _check(name, call())
        for _ in range(SETTINGS.sync_warmup):
            call()
        return time_sequential(call, SETTINGS.sync_calls)
    finally:
        close()


def run(quick: bool) -> list[Result]:
    target = nginx()
    notes: dict[str, str] = {}
    skipped: set[str] = set()
    official: OfficialWorker | None = None
    names = list(CONTENDERS)
    try:
        official = OfficialWorker(target.port)
        names.append(OFFICIAL)
        notes[OFFICIAL] = "own venv, subprocess; signs every call (HMAC-SHA1, as it does with a token)"
    except Skip as exc:
        notes[OFFICIAL] = f"skipped: {exc}"
    try:

        def run_one(name: str) -> Sample | None:
            if name in skipped:
                return None
            if name == OFFICIAL:
                assert official is not None
                return official.run(SETTINGS.sync_warmup, SETTINGS.sync_calls)
            factory, _ = CONTENDERS[name]
            try:
                return _time(name, factory, target.url, target.port)
            except Skip as exc:
                skipped.add(name)
                notes[name] = f"skipped: {exc}"
                return None

        samples = interleave(names, SETTINGS.sync_rounds, run_one)
    finally:
        if official is not None:
            official.close()
    results = [
        summarize("sync_clients", GROUP, name, samples[name], role=role, note=notes.get(name, ""))
        for name, (_, role) in CONTENDERS.items()
    ]
    official_samples = samples.get(OFFICIAL, [])
    results.append(
        summarize("sync_clients", GROUP, OFFICIAL, official_samples, role="official", note=notes[OFFICIAL])
    )
    return results
