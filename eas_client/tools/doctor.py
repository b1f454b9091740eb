"""``eas doctor ENDPOINT``: check a service end to end and say in plain words what is wrong.

Steps, each stopping the run when it fails: the URL, DNS, a TCP connection, TLS (for ``https``),
a sample predict (token accepted? service found? processor answering?), then the latency of a
few more calls. The token is sent, never printed.

Example::

    eas doctor http://127.0.0.1:8080/api/predict/demo --token "$EAS_TOKEN" -d "2 105"
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import statistics
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from .._core.config import ENV_TOKEN


@dataclass
class Report:
    """What each step found: ``(ok, step, text)`` lines, in order."""

    lines: list[tuple[bool, str, str]] = field(default_factory=list)

    def add(self, ok: bool, step: str, text: str) -> bool:
        self.lines.append((ok, step, text))
        return ok

    @property
    def ok(self) -> bool:
        return all(ok for ok, _, _ in self.lines)

    def render(self) -> str:
        return "\n".join(f"{'ok  ' if ok else 'FAIL'} {step}: {text}" for ok, step, text in self.lines)


def diagnose(
    endpoint: str, token: str | None, data: bytes, *, timeout: float = 5.0, calls: int = 5
) -> Report:
    """Run every check against ``endpoint`` (a full ``.../api/predict/<service>`` URL)."""
    report = Report()
    url = endpoint if "://" in endpoint else f"http://{endpoint}"
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        report.add(
            False, "url", f"{endpoint!r} is not an http(s) URL; pass e.g. http://host/api/predict/<service>"
        )
        return report
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if "/api/predict/" not in path:
        report.add(True, "url", f"{path} has no /api/predict/<service>; calling it as given")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        report.add(
            False, "dns", f"cannot resolve {host} ({exc.strerror}); check the host name in the endpoint"
        )
        return report
    address = infos[0][4][0]
    report.add(True, "dns", f"{host} -> {address}")
    started = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except ConnectionRefusedError:
        report.add(False, "connect", f"nothing listens on {host}:{port} (connection refused); is the service "
                   "running, and is the port right?")  # fmt: skip
        return report
    except OSError as exc:
        report.add(
            False, "connect", f"cannot reach {host}:{port} ({exc}); check the network, VPC or firewall"
        )
        return report
    report.add(True, "connect", f"{host}:{port} in {1000 * (time.perf_counter() - started):.1f} ms")
    context = ssl.create_default_context() if parts.scheme == "https" else None
    if context is not None:
        try:
            with socket.create_connection((host, port), timeout=timeout) as raw:
                with context.wrap_socket(raw, server_hostname=host) as tls:
                    report.add(True, "tls", f"{tls.version()}, certificate valid for {host}")
        except ssl.SSLCertVerificationError as exc:
            report.add(False, "tls", f"the certificate is not trusted ({exc.verify_message}); "
                       "use the http:// endpoint or fix the CA bundle")  # fmt: skip
            return report
        except (ssl.SSLError, OSError) as exc:
            report.add(False, "tls", f"TLS handshake failed ({exc}); is this port plain http?")
            return report
    headers = {"Authorization": token} if token else {}

    def call() -> tuple[int, bytes, float]:
        conn: http.client.HTTPConnection = (
            http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
            if context
            else http.client.HTTPConnection(host, port, timeout=timeout)
        )
        try:
            begin = time.perf_counter()
            conn.request(
                "POST", path + (f"?{parts.query}" if parts.query else ""), body=data, headers=headers
            )
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, body, time.perf_counter() - begin
        finally:
            conn.close()

    try:
        status, body, first = call()
    except (OSError, http.client.HTTPException) as exc:
        report.add(False, "predict", f"the call failed ({type(exc).__name__}: {exc}); the server closed or "
                   "timed out: raise --timeout or check the service logs")  # fmt: skip
        return report
    excerpt = body[:200].decode("utf-8", "replace").strip()
    if status == 401:
        why = (
            "no token was sent: pass --token or set EAS_TOKEN"
            if not token
            else "the token was refused: copy it again from the service (console or `eas status`)"
        )  # noqa: E501
        report.add(False, "token", why)
        return report
    report.add(True, "token", "accepted" if token else "none needed")
    if status == 404:
        report.add(False, "predict", f"HTTP 404 ({excerpt}); check the service name in the URL")
        return report
    if status >= 400:
        report.add(False, "predict", f"HTTP {status} to the sample ({excerpt}); "
                   "pass a body the processor accepts with -d or --file")  # fmt: skip
        return report
    report.add(True, "predict", f"HTTP {status}, {len(body)} bytes in {1000 * first:.1f} ms")
    times = [first]
    for _ in range(max(0, calls - 1)):
        try:
            times.append(call()[2])
        except (OSError, http.client.HTTPException):
            break
    p50 = 1000 * statistics.median(times)
    report.add(
        True, "latency", f"median {p50:.1f} ms, max {1000 * max(times):.1f} ms over {len(times)} calls"
    )
    return report


def add_command(sub: Any) -> None:
    cmd = sub.add_parser("doctor", help="check a service end to end and say what is wrong")
    cmd.add_argument("endpoint", help="service URL, http://host/api/predict/<service>")
    cmd.add_argument("--token", default=None, help="service token (default: EAS_TOKEN)")
    cmd.add_argument("-d", "--data", default="", help="sample request body (default: empty)")
    cmd.add_argument("--file", default=None, help="read the sample body from this file")
    cmd.add_argument("--timeout", type=float, default=5.0, help="seconds per step (default 5)")
    cmd.set_defaults(func=run)


def run(args: Any) -> int:
    token = args.token if args.token is not None else (os.environ.get(ENV_TOKEN) or None)
    if args.file is not None:
        with open(args.file, "rb") as f:
            data = f.read()
    else:
        data = args.data.encode("utf-8")
    report = diagnose(args.endpoint, token, data, timeout=args.timeout)
    print(report.render())
    return 0 if report.ok else 1
