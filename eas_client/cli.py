"""The ``eas`` command: ``eas serve``, ``eas predict``, ``eas init``, ``eas pack`` / ``deploy`` /
``status`` / ``delete`` and ``eas doctor`` (also ``python -m eas_client``)."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._core.errors import EASError

if TYPE_CHECKING:  # the server extra is imported only by `eas serve`
    from .server.faults import FaultSpec

APP_TEMPLATE = '''"""An EAS Python processor. Serve it locally with `eas serve app.py` (or `python app.py`)
and call it with `eas predict http://127.0.0.1:8080/api/predict/{name} -d "2 105"`."""

import allspark


class MyProcessor(allspark.BaseProcessor):
    def initialize(self):
        # Load your model here: it runs once, before the first request.
        self.w0 = 100
        self.w1 = 2

    def process(self, data):
        x, y = (int(v) for v in data.split(b" "))
        return str(y > self.w1 * x + self.w0).encode(), 200


if __name__ == "__main__":
    runner = MyProcessor(worker_threads=10)
    runner.run()
'''

README_TEMPLATE = """# {name}

An EAS Python processor.

    eas serve app.py --app-json app.json          # local runtime on 127.0.0.1:8080
    eas predict http://127.0.0.1:8080/api/predict/{name} -d "2 105"   # -> True

Deploy (needs `pip install 'eas-client[deploy]'` and Alibaba Cloud credentials):

    eas pack . --upload oss://<bucket>/{name}/ --region <region>   # writes app.packed.json
    eas deploy app.packed.json --region <region>
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except EASError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a missing --file, a port already in use: a message, not a traceback
        print(f"eas {args.command}: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eas", description="Call, run locally, pack and deploy EAS model services."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve",
        help="serve a processor file, an ASGI app or any HTTP server behind the local EAS gateway",
    )
    serve.add_argument(
        "app", nargs="?", default=None, help="processor file (app.py) or ASGI app (module:attribute)"
    )
    serve.add_argument(
        "--upstream",
        default=None,
        metavar="URL",
        help="forward /api/predict/<service>/<path> to URL/<path> (any HTTP server), streaming the answer",
    )
    serve.add_argument("--host", default=None, help="listen address (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=None, help="gateway port (default 8080, 0 = any free port)"
    )
    serve.add_argument(
        "--service", default=None, help="service name (default: app.json name, else 'default')"
    )
    serve.add_argument(
        "--token", default=None, help="require this token (raw or EAS-signed); default: EAS_TOKEN"
    )
    serve.add_argument(
        "--token-file",
        default=None,
        metavar="PATH",
        help="read the token from a file (keeps it off the command line)",
    )
    serve.add_argument(
        "--admin-token",
        default=None,
        help="token for /_admin/* (default: the service token); or EAS_ADMIN_TOKEN",
    )
    serve.add_argument(
        "--admin-token-file", default=None, metavar="PATH", help="read the admin token from a file"
    )
    serve.add_argument("--workers", type=int, default=None, help="worker threads (rpc.worker_threads)")
    serve.add_argument("--queue-size", type=int, default=None, help="queue behind the workers; 450 when full")
    serve.add_argument("--keepalive-ms", type=int, default=None, help="per-request timeout; 408 past it")
    serve.add_argument("--instances", type=int, default=None, help="instances listed by the discovery API")
    serve.add_argument("--app-json", default=None, help="EAS service description (name, metadata.rpc.*)")
    serve.add_argument("--model-path", default=None, help="directory returned by get_model_path()")
    serve.add_argument(
        "--max-date-skew",
        type=_skew,
        default=None,
        metavar="SECONDS|off",
        help="refuse signed calls whose Date is this far off (default 900; 'off' checks only the format)",
    )
    serve.add_argument(
        "--max-body",
        type=_size,
        default=None,
        metavar="BYTES",
        help="largest request body, e.g. 64M (default); 413 beyond",
    )
    serve.add_argument(
        "--max-connections",
        type=_positive_int,
        default=None,
        help="open connections per port (default 256); 503 beyond",
    )
    serve.add_argument(
        "--header-timeout",
        type=_positive_float,
        default=None,
        metavar="S",
        help="time to send a request head (default 10)",
    )
    serve.add_argument(
        "--body-timeout",
        type=_positive_float,
        default=None,
        metavar="S",
        help="time to send a request body (default 30)",
    )
    serve.add_argument(
        "--max-header-bytes",
        type=_size,
        default=None,
        metavar="BYTES",
        help="largest request head (default 64K); 431 beyond",
    )
    serve.add_argument(
        "--shutdown-grace", type=_positive_float, default=None, metavar="S",
        help="on Ctrl-C, time for calls in flight (default 10); a second Ctrl-C quits at once",
    )  # fmt: skip
    serve.add_argument(
        "--advertise-host",
        default=None,
        help="address the discovery API lists (default: --host; 127.0.0.1 for 0.0.0.0)",
    )
    serve.add_argument(
        "--faults",
        type=_fault_spec,
        default=None,
        metavar="JSON",
        help='inject faults on every port, e.g. \'{"rate_503": 0.1, "rate_close": 0.02, "seed": 7}\' '
        "(fields: rate_503 rate_450 rate_429 rate_reset rate_close latency_ms retry_after seed)",
    )
    _add_async_flags(serve)
    serve.set_defaults(func=_serve)

    predict = sub.add_parser("predict", help="call a service and print the response body")
    predict.add_argument("endpoint", help="service URL, or base URL with --service")
    group = predict.add_mutually_exclusive_group(required=True)
    group.add_argument("-d", "--data", help="request body (text)")
    group.add_argument("--file", help="read the request body from this file ('-' = stdin)")
    predict.add_argument("--token", default=None, help="service token (default: EAS_TOKEN)")
    predict.add_argument("--service", default=None, help="service name (default: EAS_SERVICE_NAME)")
    predict.add_argument("--signed", action="store_true", help="sign the request instead of the raw token")
    predict.add_argument("--timeout", type=float, default=None, help="seconds per attempt")
    predict.set_defaults(func=_predict)

    init = sub.add_parser("init", help="scaffold a processor project (app.py, app.json, README.md)")
    init.add_argument("dir", help="directory to create")
    init.add_argument("--name", default=None, help="service name (default: the directory name)")
    init.set_defaults(func=_init)

    from .tools import deploy, doctor, pack

    pack.add_command(sub)
    deploy.add_commands(sub)
    doctor.add_command(sub)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from ._core.config import ENV_TOKEN

    try:
        from .server.errors import ServeError
        from .server.runtime import apply_faults, build_runtime
        from .server.serve import name_beside, run_foreground
    except ImportError as exc:  # the [server] extra is not installed: say how, not a traceback
        raise SystemExit(
            f"eas serve needs the local runtime: pip install 'eas-client[server]' (missing: {exc.name})"
        ) from None

    token, source = _secret(args.token, args.token_file, ENV_TOKEN, "--token")
    admin_token, _ = _secret(args.admin_token, args.admin_token_file, "EAS_ADMIN_TOKEN", "--admin-token")
    try:
        runtime = build_runtime(
            args.app,
            app_json=args.app_json,
            upstream=args.upstream,
            host=args.host,
            port=args.port,
            service=args.service,
            token=token,
            admin_token=admin_token,
            worker_threads=args.workers,
            queue_size=args.queue_size,
            keepalive_ms=args.keepalive_ms,
            instances=args.instances,
            model_path=args.model_path,
            max_date_skew_s=args.max_date_skew,
            max_body=args.max_body,
            max_connections=args.max_connections,
            header_timeout_s=args.header_timeout,
            body_timeout_s=args.body_timeout,
            max_header_bytes=args.max_header_bytes,
            shutdown_grace_s=args.shutdown_grace,
            advertise_host=args.advertise_host,
            **_async_options(args),
        )
    except ServeError as exc:
        raise SystemExit(str(exc)) from None
    if source:
        print(f"eas serve: calls need the token from {source}", file=sys.stderr, flush=True)
    if args.faults is not None:
        apply_faults([runtime.gateway, *runtime.instances], args.faults)
    label = None if args.app_json or args.service else name_beside(args.app)
    run_foreground(runtime, label=label)
    return 0


def _add_async_flags(serve: argparse.ArgumentParser) -> None:
    """Asynchronous inference (eas_client/server/queue): queues instead of direct calls."""
    serve.add_argument(
        "--async",
        dest="async_mode",
        action="store_true",
        help="serve an asynchronous-inference service: POSTs are queued, results go to <service>/sink",
    )
    serve.add_argument(
        "--queue-store",
        default=None,
        metavar="memory|sqlite:PATH",
        help="where --async keeps both queues (default memory; sqlite:PATH survives a kill)",
    )
    serve.add_argument(
        "--queue-lease",
        type=_positive_float,
        default=None,
        metavar="S",
        help="an item delivered and not committed is delivered again after this (default 60)",
    )


def _async_options(args: argparse.Namespace) -> dict[str, object]:
    if not args.async_mode and (args.queue_store or args.queue_lease):
        raise SystemExit("eas serve: --queue-store and --queue-lease need --async")
    return {"async_mode": args.async_mode, "queue_store": args.queue_store, "queue_lease_s": args.queue_lease}


def _secret(value: str | None, path: str | None, env: str, flag: str) -> tuple[str | None, str | None]:
    """A token from its flag, else its file, else the environment (an empty variable means none),
    and where it came from."""
    if value is not None and path is not None:
        raise SystemExit(f"eas serve: pass {flag} or {flag}-file, not both")
    if value is not None:
        if not value.strip():
            raise SystemExit(f"eas serve: {flag} is empty")
        return value, None
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise SystemExit(f"eas serve: cannot read {flag}-file {path}: {exc}") from None
        if not text:
            raise SystemExit(f"eas serve: {flag}-file {path} is empty")
        return text, f"{flag}-file {path}"
    from_env = os.environ.get(env, "").strip()
    return (from_env, env) if from_env else (None, None)


def _size(text: str) -> int:
    """``1048576``, ``64K``, ``64M``, ``1G`` → bytes."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    raw = text.strip().upper().removesuffix("B")
    factor = units.get(raw[-1:], 1)
    try:
        number = int(raw[:-1] if factor > 1 else raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size; write e.g. 1048576, 64K, 64M or 1G"
        ) from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return number * factor


def _skew(text: str) -> float:
    if text.strip().lower() == "off":
        return math.inf
    return _positive_float(text)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number of seconds")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def _fault_spec(text: str) -> FaultSpec:
    from .server.faults import FaultSpec

    try:
        doc = json.loads(text)
        if not isinstance(doc, dict):
            raise ValueError("expected a JSON object")
        return FaultSpec.from_json(doc)
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(f"bad --faults {text!r}: {exc}") from None


def _predict(args: argparse.Namespace) -> int:
    from ._core.config import DEFAULT_TIMEOUT_S, AuthMode
    from .client import EASClient

    if args.file is not None:
        body = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    else:
        body = args.data.encode("utf-8")
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT_S
    auth: AuthMode = "signature" if args.signed else "token"
    service = args.service
    with EASClient(args.endpoint, args.token, service_name=service, auth=auth, timeout=timeout) as client:
        out = client.predict(body)
    sys.stdout.buffer.write(out)
    if not out.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()
    return 0


def _init(args: argparse.Namespace) -> int:
    target = Path(args.dir)
    name = args.name or target.resolve().name.replace("_", "-")
    files = {
        "app.py": APP_TEMPLATE.format(name=name),
        "app.json": json.dumps(_app_json(name), indent=2) + "\n",
        "README.md": README_TEMPLATE.format(name=name),
    }
    existing = [f for f in files if (target / f).exists()]
    if existing:
        print(f"eas init: {target} already has {', '.join(existing)}; not overwriting", file=sys.stderr)
        return 1
    target.mkdir(parents=True, exist_ok=True)
    for filename, text in files.items():
        (target / filename).write_text(text, encoding="utf-8")
    print(f"created {target}/app.py, app.json, README.md")
    print(f"run: eas serve {target}/app.py --app-json {target}/app.json")
    return 0


def _app_json(name: str) -> dict[str, object]:
    return {
        "name": name,
        "processor_entry": "./app.py",
        "processor_type": "python",
        "processor_path": f"oss://<bucket>/{name}/{name}.tar.gz",
        "metadata": {
            "instance": 1,
            "cpu": 1,
            "memory": 2000,
            "rpc": {"keepalive": 5000, "worker_threads": 5, "max_queue_size": 64},
        },
    }


if __name__ == "__main__":
    raise SystemExit(main())
