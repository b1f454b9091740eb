"""Endpoint forms and URL building (spec/protocol.md URL-1 … URL-8).

Accepted endpoint forms:

* full service URL ``http://host:port/api/predict/<service>[/<sub>]``
* base URL or bare host (``http://`` is added) plus ``service_name``
* base URL with a path prefix plus ``service_name`` (a reverse proxy in front of EAS)
* any other URL without ``service_name``: used verbatim, e.g. the local test path ``/test``
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from .errors import ConfigError

PREDICT_PREFIX = "/api/predict/"
_PREDICT_RE = re.compile(r"^(?P<prefix>.*?)/api/predict/(?P<service>[^?#]+?)/*$")
# RFC 3986 unreserved characters stay as they are; everything else in a query is %-encoded,
# so a space is %20 (never '+', which servers disagree on).
_QUERY_SAFE = "-._~"
_PATH_SAFE = "/-._~!$&'()*+,;=:@"  # pchar without "%": a sub-path is text (URL-5)

ParamValue = str | int | float | bool | None
Params = Mapping[str, ParamValue] | Sequence[tuple[str, ParamValue]]


@dataclass(frozen=True)
class Endpoint:
    """A parsed endpoint: where calls go and which path is signed."""

    scheme: str
    netloc: str
    base_path: str
    service: str | None
    query: tuple[tuple[str, ParamValue], ...] = ()

    @property
    def url(self) -> str:
        """The service URL without query, e.g. ``http://127.0.0.1:8080/api/predict/demo``."""
        return f"{self.scheme}://{self.netloc}{self.base_path}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.netloc}"

    @property
    def discovery_service(self) -> str | None:
        """The service name as the discovery API knows it: up to the first ``/``."""
        return self.service.split("/", 1)[0] if self.service else None


def parse_endpoint(raw: object, service_name: str | None = None) -> Endpoint:
    """Parse an endpoint string, or raise :class:`ConfigError` naming the problem and the fix."""
    if raw is None:
        raise ConfigError(
            "endpoint is required: pass endpoint='http://<host>/api/predict/<service>' or set EAS_ENDPOINT"
        )
    if not isinstance(raw, str):
        raise ConfigError(f"endpoint must be a str, not {type(raw).__name__}")
    text = raw.strip()
    if not text:
        raise ConfigError("endpoint is empty: pass the service URL shown in the EAS console")
    if any(c.isspace() for c in text):
        raise ConfigError(f"endpoint {text!r} contains whitespace")
    if not _is_plain_ascii(text):
        raise ConfigError(
            f"endpoint {text!r} contains a control or non-ASCII character; percent-encode it "
            "(or use the xn-- form of the host name)"
        )
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise ConfigError(f"endpoint scheme {scheme!r} is not supported; use http:// or https://")
        text = scheme + text[len(scheme) :]
    else:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
    except ValueError as exc:  # e.g. an unbalanced IPv6 bracket
        raise ConfigError(f"endpoint {raw!r} is not a valid URL: {exc}") from None
    if not hostname:
        raise ConfigError(f"endpoint {raw!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise ConfigError("endpoint must not carry credentials (user@host); pass token=... instead")
    if parts.fragment:
        raise ConfigError(f"endpoint {raw!r} must not contain a fragment (#...)")
    try:
        parts.port  # noqa: B018 - urlsplit validates the port lazily
    except ValueError:
        raise ConfigError(f"endpoint {raw!r} has an invalid port") from None
    query = tuple(_split_query(parts.query))
    base_path, service = _service_path(parts.path, service_name)
    return Endpoint(parts.scheme, parts.netloc, base_path, service, query)


def _service_path(path: str, service_name: str | None) -> tuple[str, str | None]:
    if service_name is not None:
        service_name = check_service_name(service_name)
    match = _PREDICT_RE.match(path)
    if match:
        service = match.group("service")
        if service_name is not None and service_name != service:
            raise ConfigError(
                f"endpoint names service {service!r} but service_name is {service_name!r}; pass only one"
            )
        return f"{match.group('prefix')}{PREDICT_PREFIX}{service}", service
    prefix = path.rstrip("/")
    if service_name is not None:
        return f"{prefix}{PREDICT_PREFIX}{service_name}", service_name
    if not prefix:
        raise ConfigError(
            "endpoint has no service: pass a service URL (http://<host>/api/predict/<service>) "
            "or service_name=... (or set EAS_SERVICE_NAME)"
        )
    return path, None


def check_service_name(name: object) -> str:
    if not isinstance(name, str):
        raise ConfigError(f"service_name must be a str, not {type(name).__name__}")
    cleaned = name.strip().strip("/")
    if not _is_plain_ascii(cleaned):
        raise ConfigError(
            f"service_name {name!r} contains a control or non-ASCII character; EAS service names "
            "are ASCII letters, digits and underscores"
        )
    if not cleaned or any(c.isspace() or c in "?#" for c in cleaned):
        raise ConfigError(f"service_name {name!r} is not a valid EAS service name")
    return cleaned


def build_path(endpoint: Endpoint, path: str | None) -> str:
    """The request path (no query): base path plus an optional sub-path (leading ``/`` added)."""
    if not path:
        return endpoint.base_path
    if not isinstance(path, str):
        raise ConfigError(f"path must be a str, not {type(path).__name__}")
    if "?" in path or "#" in path:
        raise ConfigError(f"path {path!r} must not contain '?' or '#'; pass query values as params=")
    if not path.startswith("/"):
        path = "/" + path
    return endpoint.base_path.rstrip("/") + quote(path, safe=_PATH_SAFE)


def build_query(endpoint: Endpoint, params: Params | None) -> str:
    """The query string (without ``?``): the endpoint's own pairs first, then ``params`` in order."""
    pairs = list(endpoint.query)
    if params is not None:
        items = params.items() if isinstance(params, Mapping) else params
        for item in items:
            if not isinstance(item, tuple) or len(item) != 2 or not isinstance(item[0], str):
                raise ConfigError("params must be a mapping or a sequence of (str, value) pairs")
            pairs.append(item)
    return "&".join(_encode_pair(k, v) for k, v in pairs)


def build_url(endpoint: Endpoint, path: str | None = None, params: Params | None = None) -> str:
    """Full request URL, e.g. ``build_url(ep, "v1", {"k": "a b"})`` → ``…/svc/v1?k=a%20b``."""
    query = build_query(endpoint, params)
    url = endpoint.origin + build_path(endpoint, path)
    return f"{url}?{query}" if query else url


def _encode_pair(key: str, value: ParamValue) -> str:
    if value is None:
        return quote(key, safe=_QUERY_SAFE)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (str, int, float)):
        text = str(value)
    else:
        raise ConfigError(f"param {key!r} has unsupported type {type(value).__name__}")
    return f"{quote(key, safe=_QUERY_SAFE)}={quote(text, safe=_QUERY_SAFE)}"


def _split_query(query: str) -> list[tuple[str, ParamValue]]:
    out: list[tuple[str, ParamValue]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        key, sep, value = piece.partition("=")
        out.append((unquote(key), unquote(value) if sep else None))
    return out


def _is_plain_ascii(text: str) -> bool:
    """URL-9: no control character (C0, DEL) and nothing beyond ASCII (C1 controls included)."""
    return text.isascii() and text.isprintable()
