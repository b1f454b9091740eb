"""The queue protocol (spec/protocol.md §15) as pure functions: argument checks, each operation's
method, query and body (:class:`QueueCall`), the answers' parsers, the ``_timeout_`` format and
put's narrower retry policy. The twins in ``eas_client/queue`` only send what these build.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import quote

from .config import DEFAULT_CONCURRENCY, RetryPolicy
from .dataframe import DataFrame, decode_dataframe_list
from .errors import ConfigError, PayloadError

HEADER_UID = "X-EAS-QueueService-Redis-Uid"
HEADER_GID = "X-EAS-QueueService-Redis-Gid"
HEADER_REQUEST_ID = "X-Eas-Queueservice-Request-Id"
PROTOBUF = "application/vnd.google.protobuf"
FORM = "application/x-www-form-urlencoded"
# Asked for explicitly: HTTP engines add their own Accept (*/*) when none is set.
JSON = "application/json"

# Every SDK's default consumer group; a different gid is a different set of consumers.
DEFAULT_GID = "eas"
# The official SDKs all wait 5 s by default, and servers cut a get at about that.
DEFAULT_GET_WAIT_S = 5.0
# Items a watcher holds unacknowledged: enough to keep a consumer busy, few enough that a
# dropped watcher leaves little to redeliver.
DEFAULT_WATCH_WINDOW = 16
# QUEUE-14: inputs between put and result at once; predict_many's default, for the same reasons.
DEFAULT_SUBMIT_CONCURRENCY = DEFAULT_CONCURRENCY
# The longest wait a get may ask for: longer belongs to a watch, and proxies cut idle requests.
MAX_GET_WAIT_S = 3600.0
MAX_NEGATIVE_CODE = 20
MAX_NEGATIVE_REASON_BYTES = 1024
# Statuses EAS answers before an item is queued: the only ones a put may retry (QUEUE-10).
PUT_RETRY_STATUSES = frozenset({429, 450, 503})

_NEGATIVE_CODE = re.compile(r"(?:[0-9]+|(?:[A-Z][a-z]*)+(?:\.[A-Z][a-z]*)?)")
_WAIT_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ms|s|m|h)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_QUERY_SAFE = "-._~"

Parse = Literal["none", "put", "frames", "json_object", "json", "count"]


@dataclass(frozen=True)
class QueueCall:
    """One queue operation as it goes on the wire (before the client's own headers are added)."""

    op: str
    method: str
    params: tuple[tuple[str, str], ...]
    body: bytes = b""
    content_type: str | None = None
    accept: str | None = None
    parse: Parse = "none"
    wait: float = 0.0  # seconds the server may hold the request (get's _timeout_)


def identity(uid: object, gid: object) -> tuple[str, str]:
    """QUEUE-2: both non-empty visible ASCII (and spaces inside), else a ConfigError."""
    for name, value in (("uid", uid), ("gid", gid)):
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{name} must be a non-empty str, not {value!r}")
        if not all(" " <= c <= "~" for c in value):
            raise ConfigError(f"{name} must be visible ASCII (it goes in a header); got {value!r}")
    return uid, gid  # type: ignore[return-value]


def check_caller_headers(names: Sequence[str]) -> None:
    for name in names:
        if name.lower() in (HEADER_UID.lower(), HEADER_GID.lower()):
            raise ConfigError(f"header {name!r} is the queue identity; pass uid=... or gid=... instead")


def format_wait(seconds: object) -> str:
    """QUEUE-5: ``5`` → ``5s``, ``0.25`` → ``250ms``; the one form every server parses."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        raise ConfigError(f"timeout must be a number of seconds, not {seconds!r}")
    if not 0 <= seconds <= MAX_GET_WAIT_S:
        raise ConfigError(f"timeout must be between 0 and {MAX_GET_WAIT_S:g} seconds, not {seconds!r}")
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    millis = math.floor(seconds * 1000 + 0.5)
    return f"{millis}ms" if millis else "0s"


def parse_wait(text: str) -> float:
    """Server side of QUEUE-5: ``5s``, ``250ms``, ``1m0s``, ``1.5s``, ``0`` → seconds; else ValueError."""
    if text == "0":
        return 0.0
    pos, total = 0, 0.0
    for match in _WAIT_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_S[match.group(2)]
        pos = match.end()
    if pos == 0 or pos != len(text):
        raise ValueError(f"invalid _timeout_ {text!r}: use a duration such as 5s, 250ms or 1m0s")
    return total


def check_negative_code(code: object) -> str:
    if not isinstance(code, str) or len(code) > MAX_NEGATIVE_CODE or not _NEGATIVE_CODE.fullmatch(code):
        raise ConfigError(
            f"negative code {code!r} is invalid: use digits (404) or capitalised words "
            f"(Timeout, InvalidInput, Bad.Input), at most {MAX_NEGATIVE_CODE} characters"
        )
    return code


def put_policy(policy: RetryPolicy) -> RetryPolicy:
    """QUEUE-10: a put is not idempotent, so it retries only what EAS answers before queueing."""
    return replace(
        policy,
        retry_statuses=frozenset(policy.retry_statuses) & PUT_RETRY_STATUSES,
        retry_errors=frozenset(policy.retry_errors) & {"connect"},
    )


# --- the operations (QUEUE-3, QUEUE-4) ---


def put_call(priority: object = None, tags: object = None) -> QueueCall:
    params = [] if priority is None else [("_priority_", str(_int("priority", priority, 0)))]
    return QueueCall("put", "POST", (*params, *_tags(tags)), parse="put")


def get_call(
    index: object = 0,
    length: object = 1,
    timeout: object = DEFAULT_GET_WAIT_S,
    auto_delete: object = True,
    tags: object = None,
    request_id: object = None,
) -> QueueCall:
    params = [
        ("_index_", str(_int("index", index, 0))),
        ("_length_", str(_int("length", length, 1))),
        ("_timeout_", format_wait(timeout)),
        ("_raw_", "false"),
        ("_auto_delete_", _bool("auto_delete", auto_delete)),
    ]
    extra = _tags(tags)
    if request_id is not None:
        if not isinstance(request_id, str) or not request_id:
            raise ConfigError(f"request_id must be a non-empty str, not {request_id!r}")
        if any(k == "requestId" for k, _ in extra):
            raise ConfigError("pass the request id as request_id=... or as the tag requestId, not both")
        params.append(("requestId", request_id))
    wait = float(timeout)  # type: ignore[arg-type]  # checked by format_wait
    return QueueCall("get", "GET", (*params, *extra), accept=PROTOBUF, parse="frames", wait=wait)


def indexes_call(op: Literal["commit", "delete"], indexes: object) -> QueueCall:
    method = "PUT" if op == "commit" else "DELETE"
    return QueueCall(op, method, (("_indexes_", _indexes(indexes)),))


def negative_call(indexes: object, code: object, reason: object = "") -> QueueCall:
    joined = _indexes(indexes)
    check_negative_code(code)
    if not isinstance(reason, str):
        raise ConfigError(f"reason must be a str, not {type(reason).__name__}")
    if len(reason.encode("utf-8", "surrogatepass")) > MAX_NEGATIVE_REASON_BYTES:
        raise ConfigError(f"reason is longer than {MAX_NEGATIVE_REASON_BYTES} bytes; shorten it")
    try:
        body = f"_code_={_q(code)}&_reason_={_q(reason)}".encode("ascii")  # type: ignore[arg-type]
    except UnicodeEncodeError:  # a lone surrogate cannot be %-encoded as UTF-8
        raise ConfigError("reason is not valid text (it holds a lone surrogate)") from None
    params = (("_indexes_", joined), ("_negative_", "true"))
    return QueueCall("negative", "PUT", params, body=body, content_type=FORM)


def truncate_call(index: object) -> QueueCall:
    return QueueCall("truncate", "DELETE", (("_index_", str(_int("index", index, 1))), ("_trunc_", "true")))


def end_call(force: object = False) -> QueueCall:
    params = [("_eos_", "true")]
    if _bool("force", force) == "true":
        params.append(("_force_", "true"))
    return QueueCall("end", "POST", tuple(params))


def attributes_call() -> QueueCall:
    return QueueCall("attributes", "GET", (("_attrs_", "true"),), accept=JSON, parse="json_object")


def search_call(index: object) -> QueueCall:
    params = (("_search_", "true"), ("_index_", str(_int("index", index, 1))))
    return QueueCall("search", "GET", params, parse="json")


def count_call() -> QueueCall:
    return QueueCall("count", "GET", (("_count_", "true"),), parse="count")


def watch_params(
    index: object = 0,
    window: object = DEFAULT_WATCH_WINDOW,
    index_only: object = False,
    auto_commit: object = False,
    tags: object = None,
) -> tuple[tuple[str, str], ...]:
    """The watch's query (QUEUE-11) for a connection asking from ``index`` (QUEUE-12)."""
    return (
        ("_watch_", "true"),
        ("_index_", str(_int("index", index, 0))),
        ("_window_", str(_int("window", window, 1))),
        ("_index_only_", _bool("index_only", index_only)),
        ("_auto_commit_", _bool("auto_commit", auto_commit)),
        *_tags(tags),
    )


def ws_url(url: str) -> str:
    """QUEUE-1: the watch URL is the queue URL with http → ws and https → wss."""
    scheme, sep, rest = url.partition("://")
    return {"http": "ws", "https": "wss"}[scheme] + sep + rest


# --- the answers (QUEUE-8, QUEUE-9) ---


def parse_answer(call: QueueCall, headers: Mapping[str, str], body: bytes) -> Any:
    """A 2xx answer → the operation's result, or a PayloadError naming what is wrong."""
    if call.parse == "none":
        return None
    if call.parse == "frames":
        return decode_dataframe_list(body)
    if call.parse == "put":
        request_id = {k.lower(): v for k, v in headers.items()}.get(HEADER_REQUEST_ID.lower(), "")
        index = _decimal(body, "put")
        if not request_id:
            raise PayloadError(
                f"put answered index {index} without the {HEADER_REQUEST_ID} header; the item may be "
                "queued, so do not put it again blindly"
            )
        return index, request_id
    if call.parse == "count":
        return _decimal(body, "count", minimum=0)
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PayloadError(f"{call.op} answered {_show(body)}, which is not JSON") from None
    if call.parse == "json_object" and not isinstance(value, dict):
        raise PayloadError(f"attributes answered {_show(body)}, which is not a JSON object")
    return value


def frames_json(frames: list[DataFrame]) -> list[dict[str, object]]:
    return [f.to_json() for f in frames]


def _decimal(body: bytes, op: str, minimum: int = 1) -> int:
    text = body.strip(b" \t\r\n")
    if not text or not text.isdigit() or int(text) < minimum:
        raise PayloadError(f"{op} answered {_show(body)}; expected a decimal number >= {minimum}")
    return int(text)


def _show(body: bytes) -> str:
    return repr(body[:80].decode("utf-8", "replace")) if body else "an empty body"


def _int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an int >= {minimum}, not {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, not {value}")
    return value


def _bool(name: str, value: object) -> str:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be True or False, not {value!r}")
    return "true" if value else "false"


def _indexes(indexes: object) -> str:
    if isinstance(indexes, (str, bytes)) or not isinstance(indexes, Sequence) or not indexes:
        raise ConfigError(f"indexes must be a non-empty list of ints >= 1, not {indexes!r}")
    return ",".join(str(_int("index", i, 1)) for i in indexes)


def _tags(tags: object) -> list[tuple[str, str]]:
    if tags is None:
        return []
    if not isinstance(tags, Mapping):
        raise ConfigError(f"tags must be a dict of str to str, not {type(tags).__name__}")
    out = []
    for key, value in tags.items():
        if not isinstance(key, str) or not key:
            raise ConfigError(f"tag key {key!r} must be a non-empty str")
        if key.startswith("_"):
            raise ConfigError(f"tag key {key!r} is reserved: keys starting with '_' belong to the protocol")
        if not isinstance(value, str):
            raise ConfigError(f"tag {key!r} must have a str value, not {type(value).__name__}")
        out.append((key, value))
    return out


def _q(text: str) -> str:
    return quote(text, safe=_QUERY_SAFE)
