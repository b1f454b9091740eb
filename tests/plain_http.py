"""One plain-urllib HTTP call for runtime tests: status and body, with error statuses returned, not raised."""

from __future__ import annotations

import urllib.error
import urllib.request


def call(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """``call("POST", url, b"x")`` -> ``(200, b"...")``; a 4xx/5xx answer is returned too."""
    req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read()
