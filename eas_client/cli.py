"""The ``eas`` command: ``eas serve``, ``eas predict`` and ``eas init`` (also ``python -m eas_client``)."""

from __future__ import annotations

import argparse
import json
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

Deploy: pack this directory with its environment and create the service from app.json
(`processor_path` must point at the uploaded package).
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
    parser = argparse.ArgumentParser(prog="eas", description="Call and run EAS model services locally.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve an allspark processor file with the local EAS runtime")
    serve.add_argument("app", help="processor file, e.g. app.py")
    serve.add_argument("--host", default=None, help="listen address (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=None, help="gateway port (default 8080, 0 = any free port)"
    )
    serve.add_argument(
        "--service", default=None, help="service name (default: app.json name, else 'default')"
    )
    serve.add_argument("--token", default=None, help="require this token (raw or EAS-signed)")
    serve.add_argument("--workers", type=int, default=None, help="worker threads (rpc.worker_threads)")
    serve.add_argument("--queue-size", type=int, default=None, help="queue behind the workers; 450 when full")
    serve.add_argument("--keepalive-ms", type=int, default=None, help="per-request timeout; 408 past it")
    serve.add_argument("--instances", type=int, default=None, help="instances listed by the discovery API")
    serve.add_argument("--app-json", default=None, help="EAS service description (name, metadata.rpc.*)")
    serve.add_argument("--model-path", default=None, help="directory returned by get_model_path()")
    serve.add_argument(
        "--max-date-skew", type=float, default=None, help="reject signed calls this far off (s)"
    )
    serve.add_argument(
        "--faults",
        type=_fault_spec,
        default=None,
        metavar="JSON",
        help='inject faults on every port, e.g. \'{"rate_503": 0.1, "rate_close": 0.02, "seed": 7}\' '
        "(fields: rate_503 rate_450 rate_429 rate_reset rate_close latency_ms retry_after seed)",
    )
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
    return parser


def _serve(args: argparse.Namespace) -> int:
    from .server.runtime import apply_faults, build_runtime, run_foreground

    runtime = build_runtime(
        args.app,
        app_json=args.app_json,
        host=args.host,
        port=args.port,
        service=args.service,
        token=args.token,
        worker_threads=args.workers,
        queue_size=args.queue_size,
        keepalive_ms=args.keepalive_ms,
        instances=args.instances,
        model_path=args.model_path,
        max_date_skew_s=args.max_date_skew,
    )
    if args.faults is not None:
        apply_faults([runtime.gateway, *runtime.instances], args.faults)
    run_foreground(runtime)
    return 0


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
    from .client import EASClient

    if args.file is not None:
        body = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    else:
        body = args.data.encode("utf-8")
    options = {"timeout": args.timeout} if args.timeout is not None else {}
    auth = "signature" if args.signed else "token"
    with EASClient(args.endpoint, args.token, service_name=args.service, auth=auth, **options) as client:
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
