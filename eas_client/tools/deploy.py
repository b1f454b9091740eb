"""``eas deploy app.json``, ``eas status NAME``, ``eas delete NAME``: the EAS control plane through
Alibaba Cloud's official SDK (``alibabacloud-eas20210701`` on ``alibabacloud-tea-openapi``, extra
``[deploy]``).

Credentials come from ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` (/ ``_SECURITY_TOKEN``) or the
``[default]`` profile of ``~/.alibabacloud/credentials``; the region from ``--region``, else
``app.json``'s ``region`` or ``metadata.region``, else ``ALIBABA_CLOUD_REGION_ID``. ``EAS_OPENAPI_ENDPOINT``
(``http://127.0.0.1:9000``) points the SDK at another control-plane endpoint, as the tests do.

Example::

    eas deploy svc/app.packed.json --region cn-shanghai --dry-run   # what would be sent, secrets masked
    eas deploy svc/app.packed.json --region cn-shanghai             # create, wait for Running
    eas status demo-svc --region cn-shanghai
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .credentials import ENV_REGION, Credentials, CredentialsError, load_credentials, mask, masked_logs

ENV_OPENAPI_ENDPOINT = "EAS_OPENAPI_ENDPOINT"
# Fields of a service description that are secrets of the service itself.
SECRET_FIELDS = ("token", "access_token")
DEFAULT_WAIT_S = 1200.0
DEFAULT_POLL_S = 5.0
FAILED_STATES = ("Failed", "Stopped", "DeleteFailed")
# Loggers of the SDK stack whose records get secrets masked while a call runs.
SDK_LOGGERS = (
    "alibabacloud_tea_openapi",
    "alibabacloud_eas20210701",
    "darabonba",
    "Tea",
    "urllib3",
    "requests",
)


class DeployError(Exception):
    """A control-plane call that failed or cannot be made; the message names the fix, never a secret."""


@dataclass(frozen=True)
class Target:
    """Where control-plane calls go: region, host and scheme."""

    region: str
    host: str
    scheme: str = "https"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"


def target_for(region: str | None, environ: dict[str, str] | None = None) -> Target:
    env = os.environ if environ is None else environ
    region = region or env.get(ENV_REGION)
    if not region:
        raise DeployError(
            f'no region: pass --region (e.g. cn-shanghai), add "region" to app.json or set {ENV_REGION}'
        )
    override = env.get(ENV_OPENAPI_ENDPOINT, "").strip()
    if override:
        scheme, _, host = override.rpartition("://")
        return Target(region, host.rstrip("/"), scheme or "https")
    return Target(region, f"pai-eas.{region}.aliyuncs.com")


def read_service(path: str | Path) -> dict[str, Any]:
    """The service description to send, checked for what a create needs."""
    source = Path(path)
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DeployError(f"cannot read {source}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str) or not doc["name"]:
        raise DeployError(f'{source} needs a "name" (the service name)')
    ppath = doc.get("processor_path")
    if doc.get("processor_type") == "python" and (not isinstance(ppath, str) or "<" in ppath):
        raise DeployError(
            f"{source}: processor_path is {ppath!r}; upload the package first "
            "(`eas pack DIR --upload oss://bucket/prefix/` writes it into app.packed.json)"
        )
    return doc


def region_of(doc: dict[str, Any]) -> str | None:
    """The region an app.json names: a top-level ``region`` (local only, not sent) or ``metadata.region``."""
    metadata = doc.get("metadata")
    nested = metadata.get("region") if isinstance(metadata, dict) else None
    found = doc.get("region") or nested
    return found if isinstance(found, str) and found else None


def masked_service(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: ("***" if k in SECRET_FIELDS and v else v) for k, v in doc.items() if k != "region"}


def dry_run(doc: dict[str, Any], target: Target, creds: Credentials | None) -> str:
    """The CreateService request as it would be sent (ROA, 2021-07-01), secrets masked."""
    # Signature V3, as the SDK signs: the key id shortened, the signature not computed.
    key_id = f"{creds.key_id[:4]}***" if creds else "<AccessKeyId>"
    key = f"ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders=...,Signature=<signature>"
    lines = [
        f"POST {target.url}/api/v2/services",
        "x-acs-action: CreateService",
        "x-acs-version: 2021-07-01",
        f"Authorization: {key}",
    ]
    if creds and creds.security_token:
        lines.append("x-acs-security-token: ***")
    lines += ["Content-Type: application/json", "", json.dumps(masked_service(doc), indent=2)]
    return "\n".join(lines)


def _client(target: Target, creds: Credentials) -> Any:
    try:
        from alibabacloud_eas20210701.client import Client
        from alibabacloud_tea_openapi import models as open_api_models
    except ImportError:
        raise DeployError("eas deploy needs the official EAS SDK: pip install 'eas-client[deploy]'") from None
    config = open_api_models.Config(
        access_key_id=creds.key_id,
        access_key_secret=creds.key_secret,
        security_token=creds.security_token,
        region_id=target.region,
        endpoint=target.host,
        protocol=target.scheme,
        read_timeout=30_000,
        connect_timeout=10_000,
    )
    return Client(config)


def _explain(exc: Exception, name: str, creds: Credentials) -> DeployError:
    """A control-plane error in plain words. Matched on the code's words, since EAS names them
    per case (``InvalidAccessKeyId.NotFound``, ``ServiceAlreadyExists``, ``QuotaExceeded`` ...)."""
    code = str(getattr(exc, "code", "") or "")
    status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
    text = mask(str(getattr(exc, "message", "") or exc), creds.secrets())
    low = code.lower()
    if "accesskey" in low or "signature" in low or status == 401:
        msg = f"the credentials were refused ({code}); check ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET"
    elif "exist" in low:
        msg = f"service {name!r} already exists ({code}); pick another name, or `eas delete {name}` first"
    elif "quota" in low or "insufficient" in low:
        msg = (
            f"not enough quota or resources ({code}): {text}; "
            "lower metadata.instance/cpu/memory or raise the quota"
        )
    elif "notfound" in low or status == 404:
        msg = f"service {name!r} not found in this region ({code}); check the name and --region"
    elif "forbidden" in low or status == 403:
        msg = f"the account may not do this ({code}); grant the key the PAI-EAS permissions"
    else:
        msg = f"the control plane said HTTP {status} {code}: {text}"
    return DeployError(mask(msg, creds.secrets()))


def _call(creds: Credentials, name: str, fn: Any, *args: Any) -> Any:
    try:
        with masked_logs(SDK_LOGGERS, creds.secrets()):
            return fn(*args)
    except DeployError:
        raise
    except Exception as exc:  # noqa: BLE001 - the SDK raises its own hierarchy; all are explained
        if getattr(exc, "code", None) is None and not hasattr(exc, "status_code"):
            raise DeployError(mask(f"cannot reach the control plane: {exc}", creds.secrets())) from None
        raise _explain(exc, name, creds) from None


def _credentials() -> Credentials:
    try:
        return load_credentials()
    except CredentialsError as exc:
        raise DeployError(str(exc)) from None


def deploy(
    path: str | Path,
    *,
    region: str | None = None,
    wait_s: float = DEFAULT_WAIT_S,
    poll_s: float = DEFAULT_POLL_S,
    out: Any = None,
) -> Any:
    """Create the service in ``path`` and wait until it runs; return the last description."""
    out = out or sys.stdout
    doc = read_service(path)
    target = target_for(region or region_of(doc))
    creds = _credentials()
    client = _client(target, creds)
    from alibabacloud_eas20210701 import models

    body = json.dumps({k: v for k, v in doc.items() if k != "region"})
    name = doc["name"]
    created = _call(creds, name, client.create_service, models.CreateServiceRequest(body=body)).body
    print(f"creating {name} in {target.region} (service id {created.service_id})", file=out, flush=True)
    deadline = time.monotonic() + wait_s
    last = None
    while True:
        svc = _call(creds, name, client.describe_service, target.region, name).body
        line = f"  {svc.status}: {svc.running_instance or 0}/{svc.total_instance or 0} instances running"
        if line != last:
            print(line, file=out, flush=True)
            last = line
        if svc.status == "Running":
            break
        if svc.status in FAILED_STATES:
            reason = mask(f"{svc.reason or ''} {svc.message or ''}".strip(), creds.secrets())
            raise DeployError(f"service {name} is {svc.status}: {reason}; see `eas status {name}`")
        if time.monotonic() >= deadline:
            raise DeployError(
                f"service {name} is still {svc.status} after {wait_s:g}s; follow it with `eas status {name}`"
            )
        time.sleep(poll_s)
    print(how_to_call(name, svc.internet_endpoint or created.internet_endpoint), file=out, flush=True)
    return svc


def how_to_call(name: str, endpoint: str | None) -> str:
    """Where the service answers and a call from each language (the token stays in EAS_TOKEN)."""
    url = endpoint or f"<endpoint of {name}>"
    if endpoint and "/api/predict/" not in endpoint:
        url = endpoint.rstrip("/") + f"/api/predict/{name}"
    return "\n".join(
        [
            f"running: {url}",
            "call it (export EAS_TOKEN=<the service token from the console or `eas status`>):",
            f'  curl -H "Authorization: $EAS_TOKEN" {url} -d "2 105"',
            f'  eas predict {url} -d "2 105"',
            f'  python: EASClient("{url}", os.environ["EAS_TOKEN"]).predict(b"2 105")',
            f'  go:     c, err := eas.NewClient("{url}", os.Getenv("EAS_TOKEN"))',
            f'  java:   EasClient.create("{url}", System.getenv("EAS_TOKEN")).predict("2 105")',
        ]
    )


def status(name: str, *, region: str | None = None) -> Any:
    target = target_for(region)
    creds = _credentials()
    return _call(creds, name, _client(target, creds).describe_service, target.region, name).body


def delete(name: str, *, region: str | None = None) -> None:
    target = target_for(region)
    creds = _credentials()
    _call(creds, name, _client(target, creds).delete_service, target.region, name)


def add_commands(sub: Any) -> None:
    """Register ``eas deploy``, ``eas status`` and ``eas delete``."""
    cmd = sub.add_parser("deploy", help="create an EAS service from app.json and wait until it runs")
    cmd.add_argument("app_json", help="service description (app.packed.json from `eas pack --upload`)")
    cmd.add_argument("--region", default=None, help="region, e.g. cn-shanghai (default: app.json, env)")
    cmd.add_argument("--dry-run", action="store_true", help="print the request, secrets masked; send nothing")
    cmd.add_argument(
        "--wait", type=float, default=DEFAULT_WAIT_S, metavar="S", help="how long to wait for Running"
    )
    cmd.add_argument(
        "--poll", type=float, default=DEFAULT_POLL_S, metavar="S", help="seconds between status checks"
    )
    cmd.set_defaults(func=_run_deploy)
    for verb, text in (("status", "show a service's state and endpoint"), ("delete", "delete a service")):
        one = sub.add_parser(verb, help=text)
        one.add_argument("name", help="service name")
        one.add_argument("--region", default=None, help="region (default: ALIBABA_CLOUD_REGION_ID)")
        one.set_defaults(func=_run_status if verb == "status" else _run_delete)


def _guard(fn: Any) -> Any:
    def run(args: Any) -> int:
        try:
            return int(fn(args))
        except DeployError as exc:
            print(f"eas {args.command}: {exc}", file=sys.stderr)
            return 1

    return run


@_guard
def _run_deploy(args: Any) -> int:
    if args.dry_run:
        doc = read_service(args.app_json)
        target = target_for(args.region or region_of(doc))
        try:
            creds: Credentials | None = load_credentials()
        except CredentialsError:
            creds = None
        print(dry_run(doc, target, creds))
        print("(dry run: nothing sent)", file=sys.stderr)
        return 0
    deploy(args.app_json, region=args.region, wait_s=args.wait, poll_s=args.poll)
    return 0


@_guard
def _run_status(args: Any) -> int:
    svc = status(args.name, region=args.region)
    print(f"{svc.service_name}: {svc.status} ({svc.running_instance or 0}/{svc.total_instance or 0} running)")
    if svc.reason or svc.message:
        print(f"  {svc.reason or ''} {svc.message or ''}".rstrip())
    if svc.internet_endpoint:
        print(f"  endpoint: {svc.internet_endpoint}")
    return 0


@_guard
def _run_delete(args: Any) -> int:
    delete(args.name, region=args.region)
    print(f"deleted {args.name}")
    return 0
