"""Token masking for reprs, logs and error text (spec/protocol.md SEC-*)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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


def redact_bytes(data: bytes, token: str | None) -> bytes:
    """:func:`redact_text` for a body, run on the whole body before any excerpt is cut (SEC-3)."""
    if token and len(token) >= MIN_SEARCHED_TOKEN:
        raw = token.encode()
        if raw in data:
            return data.replace(raw, REDACTED.encode())
    return data


def redact_value(value: str, token: str | None) -> str:
    """A header value or id: a short token is masked where it is the whole value."""
    if token and value == token:
        return REDACTED
    return redact_text(value, token)


def redact_header_map(headers: Mapping[str, str], token: str | None) -> dict[str, str]:
    """Response headers safe to hand to a caller: secret headers masked, the token masked anywhere."""
    return {
        k: REDACTED if k.lower() in SECRET_HEADERS else redact_value(v, token) for k, v in headers.items()
    }


class MaskedHeaders(dict[str, str]):
    """The request headers of a call: a plain dict to the engines, masked in its ``repr`` so a
    traceback with locals, ``vars(client)`` or a debugger never prints the credential."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(dict(redact_headers(self.items())))


class Secret:
    """Holds the token; ``repr``/``str`` are ``***`` so it cannot leak through ``vars()`` or a repr.

    Example::

        s = Secret("sk-123")
        assert repr(s) == "Secret('***')" and s.reveal() == "sk-123"
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    __str__ = __repr__

    def __reduce__(self) -> str:
        raise TypeError("a Secret is not pickled; pass the token again")
