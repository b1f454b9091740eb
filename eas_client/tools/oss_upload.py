"""Upload a package to OSS with Alibaba Cloud's official SDK (``oss2``, extra ``[deploy]``).

Files up to ``multipart_threshold`` go in one PUT; larger ones in parts (OSS's multipart upload),
with a progress line on stderr. The endpoint is ``OSS_ENDPOINT`` when set, else
``https://oss-<region>.aliyuncs.com``.

Example::

    url, copy = upload_package("svc.tar.gz", "oss://my-bucket/models/", "svc/app.json", region="cn-shanghai")
    # url == "oss://my-bucket/models/svc.tar.gz"; copy is svc/app.packed.json with that processor_path
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .credentials import ENV_REGION, CredentialsError, load_credentials, mask, masked_logs

ENV_OSS_ENDPOINT = "OSS_ENDPOINT"
MULTIPART_THRESHOLD = 16 * 1024 * 1024
PART_SIZE = 8 * 1024 * 1024


class UploadError(Exception):
    """The upload did not happen; the message names the cause and the fix (never a secret)."""


def parse_oss_url(url: str, filename: str) -> tuple[str, str]:
    """``oss://bucket/prefix/`` (+ the file name) or ``oss://bucket/key`` → (bucket, key)."""
    if not url.startswith("oss://"):
        raise UploadError(f"--upload {url!r} is not an OSS URL; write oss://<bucket>/<prefix>/")
    bucket, _, key = url[len("oss://") :].partition("/")
    if not bucket:
        raise UploadError(f"--upload {url!r} names no bucket; write oss://<bucket>/<prefix>/")
    if not key or key.endswith("/"):
        key += filename
    return bucket, key


def endpoint_for(region: str | None, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if env.get(ENV_OSS_ENDPOINT):
        return env[ENV_OSS_ENDPOINT]
    region = region or env.get(ENV_REGION)
    if not region:
        raise UploadError(
            f"no OSS region: pass --region, set {ENV_REGION}, or set {ENV_OSS_ENDPOINT} to the endpoint"
        )
    return f"https://oss-{region}.aliyuncs.com"


def _progress(name: str) -> Callable[[int, int | None], None]:
    def report(done: int, total: int | None) -> None:
        if total:
            print(f"\r  uploading {name}: {100 * done // total:3d}% ({done}/{total} bytes)", end="",
                  file=sys.stderr, flush=True)  # fmt: skip
            if done >= total:
                print(file=sys.stderr, flush=True)

    return report


def upload_file(
    path: str | Path,
    url: str,
    *,
    region: str | None = None,
    multipart_threshold: int = MULTIPART_THRESHOLD,
    part_size: int = PART_SIZE,
    progress: bool = True,
) -> str:
    """Upload ``path`` to ``url`` and return the object's ``oss://bucket/key``."""
    try:
        import oss2
    except ImportError:
        raise UploadError("--upload needs the official OSS SDK: pip install 'eas-client[deploy]'") from None
    source = Path(path)
    bucket_name, key = parse_oss_url(url, source.name)
    try:
        creds = load_credentials()
    except CredentialsError as exc:
        raise UploadError(str(exc)) from None
    endpoint = endpoint_for(region)
    # oss2 logs the STS token at DEBUG: mask it (and the secret) in its records meanwhile.
    with masked_logs(("oss2",), creds.secrets()):
        auth: Any = (
            oss2.StsAuth(creds.key_id, creds.key_secret, creds.security_token)
            if creds.security_token
            else oss2.Auth(creds.key_id, creds.key_secret)
        )
        try:
            bucket = oss2.Bucket(auth, endpoint, bucket_name, connect_timeout=30)
        except oss2.exceptions.ClientError:
            raise UploadError(
                f"{bucket_name!r} is not a valid OSS bucket name "
                "(3-63 lowercase letters, digits, '-'); fix --upload"
            ) from None
        size = source.stat().st_size
        report = _progress(source.name) if progress else None
        try:
            if size <= multipart_threshold:
                bucket.put_object_from_file(key, str(source), progress_callback=report)
            else:
                _multipart(bucket, key, source, size, part_size, report)
        except oss2.exceptions.OssError as exc:
            raise UploadError(mask(_explain(exc, bucket_name), creds.secrets())) from None
        except oss2.exceptions.RequestError as exc:
            raise UploadError(
                f"cannot reach OSS at {endpoint}: {exc}; check --region / {ENV_OSS_ENDPOINT}"
            ) from None
    return f"oss://{bucket_name}/{key}"


def _multipart(
    bucket: Any,
    key: str,
    source: Path,
    size: int,
    part_size: int,
    report: Callable[[int, int | None], None] | None,
) -> None:
    import oss2

    upload_id = bucket.init_multipart_upload(key).upload_id
    parts = []
    done = 0
    try:
        with source.open("rb") as f:
            number = 1
            while chunk := f.read(part_size):
                result = bucket.upload_part(key, upload_id, number, chunk)
                parts.append(oss2.models.PartInfo(number, result.etag))
                done += len(chunk)
                if report:
                    report(done, size)
                number += 1
        bucket.complete_multipart_upload(key, upload_id, parts)
    except BaseException:
        try:  # leave no half-uploaded parts to pay for
            bucket.abort_multipart_upload(key, upload_id)
        except Exception:  # noqa: BLE001 - the first error is the one to report
            pass
        raise


def _explain(exc: Any, bucket: str) -> str:
    code = getattr(exc, "code", "") or ""
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return f"OSS refused the credentials ({code}); check ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET"
    if code == "NoSuchBucket":
        return f"OSS bucket {bucket!r} does not exist in this region; check the bucket name and --region"
    if code == "AccessDenied":
        return f"OSS denied access to bucket {bucket!r} (AccessDenied); grant the key oss:PutObject on it"
    return (
        f"OSS upload failed: HTTP {getattr(exc, 'status', '?')} {code} {getattr(exc, 'message', '')}".rstrip()
    )


def upload_package(
    package: str | Path, url: str, app_json: str | Path, *, region: str | None = None, **options: Any
) -> tuple[str, Path]:
    """Upload ``package`` and write ``app.json`` with the new ``processor_path`` beside the original
    as ``app.packed.json`` (the original is left as written). Returns (oss URL, the copy's path)."""
    source = Path(app_json)
    doc = json.loads(source.read_text(encoding="utf-8"))
    object_url = upload_file(package, url, region=region or doc.get("region"), **options)
    doc["processor_path"] = object_url
    copy = source.with_name("app.packed.json")
    copy.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return object_url, copy
