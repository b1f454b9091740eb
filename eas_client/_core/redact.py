"""Token masking for reprs, logs and error text (spec/protocol.md SEC-*)."""

from __future__ import annotations

from collections.abc import Iterable

REDACTED = "***"
# Shorter tokens are masked wherever they stand alone (headers, reprs) but not searched for in
# free text: a one-letter test token would turn every "HTTP" into "H******P". Real EAS tokens
# are 40+ characters.
MIN_SEARCHED_TOKEN = 8
# Headers whose values are secrets or derived from them; masked whole wherever headers are shown.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-eas-token"})


def redact_token(token: str | None) -> str | None:
    """``None`` stays ``None``; any token becomes ``***`` (no prefix: short tokens leak quickly)."""
    return None if token is None else REDACTED


def redact_text(text: str, token: str | None) -> str:
    """Replace every occurrence of the token in free text (e.g. a server echoing a header)."""
    if token and len(token) >= MIN_SEARCHED_TOKEN and token in text:
        return text.replace(token, REDACTED)
    return text


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """A copy of headers safe to log: secret header values become ``***``."""
    return [(k, REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in headers]
