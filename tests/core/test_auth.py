"""_core/auth: the raw-token and signed modes' header values (AUTH-*). The signature's exact bytes
for every language are pinned in spec/vectors/auth_hmac.json (tests/spec/test_vectors.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from eas_client._core import auth

TOKEN = "auth-test-token-1234567890"
NOW = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC


def test_http_date_is_rfc1123_in_gmt() -> None:
    assert auth.http_date(NOW) == "Thu, 01 Jan 2026 00:00:00 GMT"


def test_content_md5_keeps_all_32_lowercase_hex_digits() -> None:
    digest = auth.content_md5(b"")
    assert digest == "d41d8cd98f00b204e9800998ecf8427e" and len(digest) == 32


def test_sign_is_base64_hmac_sha1_of_the_string_to_sign() -> None:
    text = auth.string_to_sign("abc", "text/plain", "D", "/api/predict/demo")
    assert text == "POST\nabc\ntext/plain\nD\n/api/predict/demo"
    expected = base64.b64encode(hmac.new(TOKEN.encode(), text.encode(), hashlib.sha1).digest()).decode()
    assert auth.sign(TOKEN, "abc", "text/plain", "D", "/api/predict/demo") == expected


def test_signature_headers_sign_this_body_and_date() -> None:
    headers = dict(auth.signature_headers(TOKEN, b"2 105", "text/plain", "/api/predict/demo", NOW))
    assert list(headers) == ["Content-MD5", "Date", "Authorization"]
    assert headers["Content-MD5"] == auth.content_md5(b"2 105")
    assert headers["Date"] == auth.http_date(NOW)
    assert headers["Authorization"].startswith("EAS ")
    assert TOKEN not in headers["Authorization"]


def test_verify_signature_accepts_exactly_what_was_signed() -> None:
    headers = dict(auth.signature_headers(TOKEN, b"x", "text/plain", "/api/predict/demo", NOW))
    fields = (headers["Content-MD5"], "text/plain", headers["Date"], "/api/predict/demo")
    assert auth.verify_signature(TOKEN, headers["Authorization"], *fields)
    assert not auth.verify_signature("another-token-123", headers["Authorization"], *fields)
    assert not auth.verify_signature(TOKEN, headers["Authorization"], *fields[:3], "/api/predict/other")
    assert not auth.verify_signature(TOKEN, headers["Authorization"].replace("EAS", "Bearer"), *fields)
    assert not auth.verify_signature(TOKEN, "EAS ", *fields)


def test_md5_matches_tolerates_missing_leading_zeros_and_case() -> None:
    body = next(b for b in (bytes([i]) for i in range(256)) if auth.content_md5(b).startswith("0"))
    digest = auth.content_md5(body)
    assert auth.md5_matches(body, digest)
    assert auth.md5_matches(body, digest.lstrip("0").upper())
    assert not auth.md5_matches(body + b"!", digest)
