"""Alibaba Cloud credentials for ``eas pack --upload`` and ``eas deploy``, from the standard places,
and a mask that keeps them out of everything printed."""

from __future__ import annotations

import configparser
import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ENV_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
ENV_SECURITY_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"
ENV_CREDENTIALS_FILE = "ALIBABA_CLOUD_CREDENTIALS_FILE"
ENV_REGION = "ALIBABA_CLOUD_REGION_ID"
DEFAULT_CREDENTIALS_FILE = "~/.alibabacloud/credentials"


class CredentialsError(Exception):
    """No usable credentials; the message says where they are looked for."""


@dataclass(frozen=True)
class Credentials:
    """An AccessKey pair (and STS token). ``repr`` shows only the key id's last 4 characters.

    Example::

        creds = load_credentials()  # env vars first, then ~/.alibabacloud/credentials
    """

    key_id: str
    key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"Credentials(key_id='***{self.key_id[-4:]}')"

    def secrets(self) -> list[str]:
        """Every value that must never be printed."""
        return [s for s in (self.key_secret, self.security_token) if s]


def load_credentials(environ: dict[str, str] | None = None) -> Credentials:
    """``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` (/ ``_SECURITY_TOKEN``), else the ``default``
    profile of ``ALIBABA_CLOUD_CREDENTIALS_FILE`` or ``~/.alibabacloud/credentials`` (INI, type
    access_key or sts)."""
    env = os.environ if environ is None else environ
    key_id, secret = env.get(ENV_KEY_ID, "").strip(), env.get(ENV_KEY_SECRET, "").strip()
    if key_id and secret:
        return Credentials(key_id, secret, env.get(ENV_SECURITY_TOKEN, "").strip() or None)
    path = Path(env.get(ENV_CREDENTIALS_FILE) or DEFAULT_CREDENTIALS_FILE).expanduser()
    parser = configparser.ConfigParser()
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, configparser.Error):
        parser = configparser.ConfigParser()
    if parser.has_section("default"):
        section = parser["default"]
        key_id = section.get("access_key_id", "").strip()
        secret = section.get("access_key_secret", "").strip()
        if key_id and secret:
            return Credentials(key_id, secret, section.get("security_token", "").strip() or None)
    raise CredentialsError(
        f"no Alibaba Cloud credentials: set {ENV_KEY_ID} and {ENV_KEY_SECRET} "
        f"(and {ENV_SECURITY_TOKEN} for STS), or write a [default] profile in {path}"
    )


def mask(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced by ``***`` (values under 6 characters are no real key and
    would blank out ordinary words)."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 6:
            text = text.replace(secret, "***")
    return text


class _MaskFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = mask(text, self.secrets)
        if masked != text:
            record.msg, record.args = masked, ()
        return True


@contextlib.contextmanager
def masked_logs(prefixes: tuple[str, ...], secrets: list[str]) -> Iterator[None]:
    """While the block runs, mask ``secrets`` in every record of the loggers under ``prefixes``
    (oss2, for one, logs the STS token at DEBUG). A logger's filters see only its own records,
    so the filter goes on each of them."""
    if not secrets:
        yield
        return
    flt = _MaskFilter(secrets)
    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in prefixes]
    loggers = [logging.getLogger(n) for n in {*names, *prefixes}]
    for logger in loggers:
        logger.addFilter(flt)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(flt)
