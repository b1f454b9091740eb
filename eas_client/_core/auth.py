"""Authentication headers: raw token and the EAS request signature (spec/protocol.md AUTH-*).

The signature is ``base64(HMAC-SHA1(token, "POST\\n<Content-MD5>\\n<Content-Type>\\n<Date>\\n<path>"))``
with Content-MD5 the lowercase hex MD5 of the body as sent (all 32 digits), Date in RFC 1123
form in real GMT, and path the request path without query. The clock is passed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from email.utils import formatdate

SIGNATURE_SCHEME = "EAS"
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def http_date(now: float) -> str:
    """RFC 1123 date in GMT for a Unix time, e.g. ``Thu, 01 Jan 2026 00:00:00 GMT``."""
    return formatdate(now, usegmt=True)


def content_md5(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def string_to_sign(md5_hex: str, content_type: str, date: str, path: str) -> str:
    return f"POST\n{md5_hex}\n{content_type}\n{date}\n{path}"


def sign(token: str, md5_hex: str, content_type: str, date: str, path: str) -> str:
    """The base64 HMAC-SHA1 signature (without the ``EAS `` prefix)."""
    message = string_to_sign(md5_hex, content_type, date, path).encode()
    digest = hmac.new(token.encode(), message, hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_headers(
    token: str, body: bytes, content_type: str, path: str, now: float
) -> list[tuple[str, str]]:
    """Content-MD5, Date and Authorization for one attempt (re-computed on every retry)."""
    md5_hex = content_md5(body)
    date = http_date(now)
    value = f"{SIGNATURE_SCHEME} {sign(token, md5_hex, content_type, date, path)}"
    return [("Content-MD5", md5_hex), ("Date", date), ("Authorization", value)]


def verify_signature(
    token: str, authorization: str, md5_hex: str, content_type: str, date: str, path: str
) -> bool:
    """Server side: check an ``EAS <sig>`` header against the signed fields as the client sent them."""
    scheme, _, given = authorization.partition(" ")
    if scheme != SIGNATURE_SCHEME or not given:
        return False
    expected = sign(token, md5_hex, content_type, date, path)
    return hmac.compare_digest(expected.encode(), given.strip().encode())


def md5_matches(body: bytes, md5_hex: str) -> bool:
    """Whether a Content-MD5 header describes the body. Leading zeros may be missing: one
    official SDK prints the digest as a number."""
    return content_md5(body).lstrip("0") == md5_hex.strip().lower().lstrip("0")
