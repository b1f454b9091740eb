#!/usr/bin/env python3
"""Write the strict JSON Schemas of spec/schema from the one description below.

    python scripts/make_schemas.py           # rewrite spec/schema/**/*.schema.json
    python scripts/make_schemas.py --check   # exit 1 if a checked-in schema differs

Every object in every schema is closed (``additionalProperties: false``) so a misspelt key in a
case file fails validation instead of being ignored by one runner and honoured by another. Each
vector file has its own schema (``schema/vectors/<stem>.schema.json``); every scenario file shares
``schema/scenario.schema.json``. The output is sorted and stable: running this twice changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "spec" / "schema"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

Schema = dict[str, Any]


def obj(props: dict[str, Schema], required: tuple[str, ...] = (), **extra: Any) -> Schema:
    """A closed object: only the listed keys, the required ones present."""
    out: Schema = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        out["required"] = sorted(required)
    out.update(extra)
    return out


def ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def arr(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


def string_map(value: Schema | None = None) -> Schema:
    return {"type": "object", "additionalProperties": value or STR}


STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
NUM: Schema = {"type": "number"}
SECONDS: Schema = {"type": "number", "minimum": 0, "description": "seconds"}
NONNEG: Schema = {"type": "integer", "minimum": 0}
STATUS: Schema = {"type": "integer", "minimum": 100, "maximum": 599}
ERROR_KINDS = [
    "EASError",
    "ConfigError",
    "PayloadError",
    "DiscoveryError",
    "TransportError",
    "ConnectError",
    "ReadError",
    "ReadTimeoutError",
    "ResponseTooLargeError",
    "DeadlineExceededError",
    "StatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ServerTimeoutError",
    "RateLimitError",
    "QueueFullError",
    "ServerError",
    "InternalServerError",
    "BadGatewayError",
    "ServiceUnavailableError",
    "GatewayTimeoutError",
    "StreamError",
    "StreamReadError",
    "StreamTimeoutError",
    "StreamIncompleteError",
    "StreamProtocolError",
    "StreamContentTypeError",
    "StreamEventError",
]
ERROR: Schema = {"enum": ERROR_KINDS}
TRANSPORT_KINDS: Schema = {"enum": ["connect", "reset", "timeout"]}
AUTH: Schema = {"enum": ["token", "signature"]}
MAX_RESPONSE_BYTES: Schema = {
    "type": ["integer", "null"],
    "minimum": 1,
    "description": "bytes, counted after content decoding; null: no cap (LIMIT-1)",
}

BYTES: Schema = {
    "description": "bytes as exactly one of hex, UTF-8 text, or a JSON value (compared structurally)",
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {"hex": {"type": "string", "pattern": "^([0-9a-f]{2})*$"}, "text": STR, "json": {}},
}
DATA: Schema = {
    "description": "a call's data: bytes (hex), text, a JSON value, or one of the inputs of protocol.md §10",
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        "hex": {"type": "string", "pattern": "^([0-9a-f]{2})*$"},
        "text": STR,
        "json": {},
        "invalid_text_hex": {"type": "string", "pattern": "^([0-9a-f]{2})*$"},
        "nonfinite_json": {"enum": ["NaN", "Infinity", "-Infinity"]},
        "unsupported": {"const": True},
        "tensor": {"$ref": "#/$defs/tensor_request"},
    },
}
CASE_NAME: Schema = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}
RULES: Schema = arr({"type": "string", "pattern": "^[A-Z]+-[0-9]+$"}, minItems=1)

FEED: Schema = obj(
    {
        "name": STR,
        "index": NONNEG,
        "values": {"description": "nested lists in row-major order, or one scalar (0-d)"},
        "type": {
            "description": "element type of the caller's typed array (absent: an untyped list)",
            "enum": [
                "float16",
                "float32",
                "float64",
                "int8",
                "int16",
                "int32",
                "int64",
                "uint8",
                "uint16",
                "uint32",
                "complex64",
                "bool",
                "string",
                "bytes",
            ],
        },
        "dtype": {"type": "string", "pattern": "^DT_[A-Z0-9]+$"},
        "shape": arr(NONNEG),
    },
    ("values",),
    oneOf=[{"required": ["name"]}, {"required": ["index"]}],
)
TENSOR_REQUEST: Schema = obj(
    {
        "kind": {"enum": ["tf_request", "torch_request"]},
        "feeds": arr(FEED),
        "signature_name": STR,
        "fetches": arr({"type": ["string", "integer"]}),
        "debug_level": NONNEG,
    },
    ("kind",),
)


def one_of(*variants: Schema) -> Schema:
    return {"oneOf": list(variants)}


def vector_file(case_input: Schema, case_expect: Schema, defs: dict[str, Schema] | None = None) -> Schema:
    case = obj(
        {
            "name": CASE_NAME,
            "description": {"type": "string", "minLength": 1},
            "rules": RULES,
            "comment": STR,
            "input": case_input,
            "expect": case_expect,
        },
        ("name", "description", "rules", "input", "expect"),
    )
    return file_schema(case, defs)


def file_schema(case: Schema, defs: dict[str, Schema] | None) -> Schema:
    out = obj(
        {"description": {"type": "string", "minLength": 1}, "cases": arr(ref("case"), minItems=1)},
        ("description", "cases"),
    )
    out["$schema"] = DRAFT
    out["$defs"] = {"case": case, "bytes": BYTES, **(defs or {})}
    return out


POLICY: Schema = obj(
    {
        "max_retries": NONNEG,
        "backoff_base": SECONDS,
        "backoff_max": SECONDS,
        "retry_after_cap": SECONDS,
        "deadline": {"type": ["number", "null"], "minimum": 0, "description": "seconds"},
        "retry_statuses": arr(STATUS),
        "retry_errors": arr(TRANSPORT_KINDS),
    }
)
PAIR: Schema = {"type": "array", "prefixItems": [STR, {"type": ["string", "null"]}], "items": False}
PARAMS: Schema = arr(
    {"type": "array", "prefixItems": [STR, {"type": ["string", "number", "boolean", "null"]}], "items": False,
     "minItems": 2}
)  # fmt: skip
HEX: Schema = {"type": "string", "pattern": "^([0-9a-f]{2})*$"}
# One delivered event of STREAM-8, all four members always written.
EVENT: Schema = obj(
    {"event": STR, "data": STR, "id": STR, "retry": {"type": ["integer", "null"], "minimum": 0}},
    ("event", "data", "id", "retry"),
)
# What a stream call delivered: events or lines (a list), or the concatenated bytes (an object).
RECEIVED: Schema = one_of({"type": "array", "items": one_of(EVENT, STR)}, ref("bytes"))
# One body chunk of an event-stream vector: bytes, or `fill` copies of one byte (the 1 MiB cases).
SSE_CHUNK: Schema = one_of(
    ref("bytes"),
    obj(
        {
            "fill": obj(
                {
                    "byte": {"type": "string", "pattern": "^[0-9a-f]{2}$"},
                    "count": {"type": "integer", "minimum": 1},
                },
                ("byte", "count"),
            )
        },
        ("fill",),
    ),
)  # fmt: skip
NULLABLE_OBJECT: Schema = {"type": ["object", "null"], "description": "a JSON object as the server sent it"}
NULLABLE_STR: Schema = {"type": ["string", "null"]}
TENSOR_OUT: Schema = obj(
    {"dtype": STR, "shape": arr(NONNEG), "values": arr({})}, ("dtype", "shape", "values")
)


def decision_input(error: Schema) -> Schema:
    """A retry decision's input (RETRY-*, TIMEOUT-*): an outcome after some attempts, at a clock."""
    return obj(
        {
            "attempts": {"type": "integer", "minimum": 1},
            "status": STATUS,
            "error": error,
            "retry_after": STR,
            "policy": POLICY,
            "elapsed": SECONDS,
            "rand": NUM,
            "now": NUM,
        },
        ("attempts", "elapsed", "rand", "now"),
        oneOf=[{"required": ["status"]}, {"required": ["error"]}],
    )


RETRY_BUDGET: Schema = obj(
    {"ratio": NUM, "min_per_s": NUM},
    description="BUDGET-1's parameters; an absent one takes its default",
)
ADAPTIVE: Schema = obj(
    {
        "min": INT,
        "max": INT,
        "initial": INT,
        "backoff": NUM,
        "latency_tolerance": {"type": ["number", "null"], "description": "null: no latency signal"},
        "max_pause": {"type": "number", "description": "seconds: the cap of ADAPT-4's pauses"},
    },
    description="AdaptiveConcurrency's fields (ADAPT-1); an absent one takes its default",
)
BACKPRESSURE_DEFAULTS: Schema = obj(
    {
        "budget_ratio": NUM,
        "budget_min_per_s": NUM,
        "budget_window_s": SECONDS,
        "adaptive_min": INT,
        "adaptive_max": INT,
        "adaptive_initial": INT,
        "adaptive_backoff": NUM,
        "latency_tolerance": {"type": ["number", "null"]},
        "adaptive_max_pause_s": SECONDS,
        "min_queue_delay_s": SECONDS,
        "baseline_drift": NUM,
    },
    (
        "budget_ratio",
        "budget_min_per_s",
        "budget_window_s",
        "adaptive_min",
        "adaptive_max",
        "adaptive_initial",
        "adaptive_backoff",
        "latency_tolerance",
        "adaptive_max_pause_s",
        "min_queue_delay_s",
        "baseline_drift",
    ),
)
LIMITER_EVENT: Schema = one_of(
    obj({"acquire": NUM}, ("acquire",), description="acquire(now)"),
    obj({"release": {"const": True}}, ("release",)),
    obj(
        {
            "observe": obj(
                {
                    "status": STATUS,
                    "error": {"enum": ["connect", "reset", "timeout", "too_large"]},
                    "latency": SECONDS,
                    "epoch": NONNEG,
                    "now": NUM,
                    "rand": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
                    "retry_after": SECONDS,
                },
                ("latency", "epoch", "now"),
                oneOf=[{"required": ["status"]}, {"required": ["error"]}],
            )
        },
        ("observe",),
    ),
)
LIMITER_STEP: Schema = obj(
    {"granted": BOOL, "wait": SECONDS, "in_flight": NONNEG, "limit": NUM, "epoch": NONNEG},
    minProperties=1,
    description="the state after the event: acquire gives granted (and wait when paused)",
)


def backpressure_vector_schemas(error_only: Schema) -> dict[str, Schema]:
    """BUDGET-1 and ADAPT-1…4: event sequences in, state after each event out."""
    error_with_text = obj({"error": ERROR, "message_contains": STR}, ("error",))
    return {
        "retry_budget": vector_file(
            obj(
                {
                    "budget": RETRY_BUDGET,
                    "start": NUM,
                    "events": arr(
                        one_of(obj({"first": NUM}, ("first",)), obj({"retry": NUM}, ("retry",))),
                        minItems=1,
                    ),
                },
                ("budget",),
            ),
            one_of(
                obj(
                    {
                        "steps": arr(obj({"balance": NUM, "allowed": BOOL}, ("balance",))),
                        "denied": NONNEG,
                    },
                    ("steps", "denied"),
                ),
                error_with_text,
            ),
        ),
        "adaptive_limit": vector_file(
            one_of(
                obj(
                    {
                        "config": ADAPTIVE,
                        "pause": obj(
                            {"backoff_base": SECONDS, "backoff_max": SECONDS, "retry_after_cap": SECONDS}
                        ),
                        "events": arr(LIMITER_EVENT, minItems=1),
                    },
                    ("config", "events"),
                ),
                obj(
                    {"concurrency": {"description": "predict_many's concurrency argument, valid or not"}},
                    ("concurrency",),
                ),
            ),
            one_of(
                obj({"steps": arr(LIMITER_STEP)}, ("steps",)),
                obj({"fixed": {"type": "integer", "minimum": 1}}, ("fixed",)),
                obj({"adaptive": ADAPTIVE}, ("adaptive",)),
                error_with_text,
            ),
        ),
    }


QUEUE_OPS = ["put", "get", "commit", "delete", "negative", "truncate", "end", "attributes", "search", "count"]
ANY: Schema = {"description": "the argument as given, valid or not"}
QUEUE_ARG_NAMES = (
    "tags", "priority", "index", "length", "timeout", "auto_delete", "request_id", "indexes", "code",
    "reason", "force", "window", "index_only", "auto_commit",
)  # fmt: skip
FRAME: Schema = obj(
    {"index": NONNEG, "tags": string_map(), "data_hex": BYTES["properties"]["hex"], "message": STR},
    ("index", "tags", "data_hex", "message"),
)


def queue_args(value: Schema, extra: dict[str, Schema]) -> Schema:
    """A queue operation's arguments by QUEUE-3's names (``data`` as a call's data)."""
    return obj({"data": ref("data"), **{name: value for name in QUEUE_ARG_NAMES}, **extra})


def queue_vector_schemas(error_only: Schema) -> dict[str, Schema]:
    client = obj(
        {
            "endpoint": STR,
            "queue": STR,
            "token": STR,
            "uid": STR,
            "gid": STR,
            "headers": string_map(),
        },
        ("endpoint",),
    )
    request = obj(
        {
            "method": {"enum": ["GET", "POST", "PUT", "DELETE"]},
            "url": STR,
            "headers": string_map({"type": ["string", "null"]}),
            "body": ref("bytes"),
        },
        ("method", "url", "headers", "body"),
    )
    frame_value = one_of(FRAME, arr(FRAME), string_map())
    return {
        "queue_requests": vector_file(
            obj(
                {"client": client, "op": {"enum": [*QUEUE_OPS, "watch"]}, "args": queue_args(ANY, {})},
                ("client", "op"),
            ),
            one_of(request, error_only),
            {"data": DATA, "tensor_request": TENSOR_REQUEST},
        ),
        "queue_dataframe": vector_file(
            one_of(
                obj(
                    {"encode": {"enum": ["DataFrame", "DataFrameList", "Attributes"]}, "value": frame_value},
                    ("encode", "value"),
                ),
                obj(
                    {
                        "decode": {"enum": ["DataFrame", "DataFrameList", "Attributes"]},
                        "hex": BYTES["properties"]["hex"],
                    },
                    ("decode", "hex"),
                ),
            ),
            one_of(
                obj({"hex": BYTES["properties"]["hex"]}, ("hex",)),
                obj({"value": frame_value}, ("value",)),
                error_only,
            ),
        ),
        "queue_timeout": vector_file(
            one_of(obj({"format": ANY}, ("format",)), obj({"parse": STR}, ("parse",))),
            one_of(
                obj({"text": STR}, ("text",)),
                obj({"seconds": SECONDS}, ("seconds",)),
                obj({"invalid": {"const": True}}, ("invalid",)),
                error_only,
            ),
        ),
        "queue_negative": vector_file(obj({"code": STR}, ("code",)), obj({"valid": BOOL}, ("valid",))),
        "queue_watch": vector_file(
            one_of(
                obj(
                    {
                        "start": NONNEG,
                        "max_reconnects": NONNEG,
                        "events": arr(
                            one_of(
                                obj({"frame": NONNEG}, ("frame",)),
                                obj({"drop": {"const": True}}, ("drop",)),
                                obj({"pong": {"const": True}}, ("pong",)),
                            )
                        ),
                    },
                    ("start", "events"),
                ),
                obj({"failures": {"type": "integer", "minimum": 1}, "rand": NUM}, ("failures", "rand")),
                obj({"defaults": {"const": True}}, ("defaults",)),
            ),
            one_of(
                obj(
                    {
                        "delivered": arr(NONNEG),
                        "skipped": arr(NONNEG),
                        "connect_indexes": arr(NONNEG),
                        "outcome": {"enum": ["open", "gave_up", *ERROR_KINDS]},
                    },
                    ("delivered", "skipped", "connect_indexes", "outcome"),
                ),
                obj({"delay": SECONDS}, ("delay",)),
                obj(
                    {
                        "ping_interval_s": SECONDS,
                        "ping_timeout_s": SECONDS,
                        "max_reconnects": NONNEG,
                        "window": {"type": "integer", "minimum": 1},
                        "get_timeout_s": SECONDS,
                        "gid": STR,
                        "submit_concurrency": {"type": "integer", "minimum": 1},
                    },
                    (
                        "ping_interval_s",
                        "ping_timeout_s",
                        "max_reconnects",
                        "window",
                        "get_timeout_s",
                        "gid",
                        "submit_concurrency",
                    ),
                ),
            ),
        ),
    }


def vector_schemas() -> dict[str, Schema]:
    error_only = obj({"error": ERROR}, ("error",))
    return {
        "auth_hmac": vector_file(
            obj(
                {"token": STR, "body": ref("bytes"), "content_type": STR, "now": NUM, "path": STR},
                ("token", "body", "content_type", "now", "path"),
            ),
            obj(
                {"content_md5": STR, "date": STR, "string_to_sign": STR, "authorization": STR},
                ("content_md5", "date", "string_to_sign", "authorization"),
            ),
        ),
        "backoff": vector_file(
            obj(
                {"retry": {"type": "integer", "minimum": 1}, "rand": NUM, "policy": POLICY}, ("retry", "rand")
            ),
            obj({"delay": SECONDS}, ("delay",)),
        ),
        "defaults": vector_file(
            obj({}),
            one_of(
                obj(
                    {
                        "timeout_s": SECONDS,
                        "connect_timeout_s": SECONDS,
                        "max_retries": NONNEG,
                        "backoff_base_s": SECONDS,
                        "backoff_max_s": SECONDS,
                        "retry_after_cap_s": SECONDS,
                        "deadline_s": {"type": "null"},
                        "retry_statuses": arr(STATUS),
                        "retry_errors": arr(TRANSPORT_KINDS),
                        "concurrency": {"type": "integer", "minimum": 1},
                        "return_exceptions": BOOL,
                        "discovery_refresh_s": SECONDS,
                        "eject_for_s": SECONDS,
                    },
                    (
                        "timeout_s",
                        "connect_timeout_s",
                        "max_retries",
                        "backoff_base_s",
                        "backoff_max_s",
                        "retry_after_cap_s",
                        "deadline_s",
                        "retry_statuses",
                        "retry_errors",
                        "concurrency",
                        "return_exceptions",
                        "discovery_refresh_s",
                        "eject_for_s",
                    ),
                ),
                obj(
                    {"max_response_bytes": {"type": "integer", "minimum": 1, "description": "bytes"}},
                    ("max_response_bytes",),
                ),
                obj(
                    {
                        "stream_max_line_bytes": {"type": "integer", "minimum": 1, "description": "bytes"},
                        "stream_accept": STR,
                    },
                    ("stream_max_line_bytes", "stream_accept"),
                ),
                BACKPRESSURE_DEFAULTS,
            ),
        ),
        **backpressure_vector_schemas(error_only),
        "discovery_parse": vector_file(
            obj({"body": ref("bytes"), "service": STR}, ("body", "service")),
            one_of(
                obj(
                    {"instances": arr({"type": "array", "prefixItems": [STR, INT, INT], "items": False})},
                    ("instances",),
                ),
                error_only,
            ),
        ),  # fmt: skip
        "endpoint": vector_file(
            obj(
                {
                    "endpoint": {"type": ["string", "null"]},
                    "service_name": STR,
                    "path": STR,
                    "params": PARAMS,
                },
                ("endpoint",),
            ),
            one_of(
                obj(
                    {"url": STR, "sign_path": STR, "service": {"type": ["string", "null"]}},
                    ("url", "sign_path", "service"),
                ),
                error_only,
            ),
        ),
        "error_kinds": vector_file(
            obj({"error": ERROR}, ("error",)),
            obj({"is": arr(ERROR, minItems=1), "is_not": arr(ERROR)}, ("is", "is_not")),
        ),
        "error_mapping": vector_file(
            obj(
                {"status": STATUS, "body": ref("bytes"), "service": STR, "headers": string_map()},
                ("status",),
            ),
            obj(
                {
                    "error": ERROR,
                    "message": STR,
                    "message_prefix": STR,
                    "request_id": {"type": ["string", "null"]},
                    "body_length": NONNEG,
                },
                ("error",),
            ),
        ),
        "headers": vector_file(
            obj(
                {
                    "token": {"type": ["string", "null"]},
                    "auth": {"enum": ["token", "signature"]},
                    "data": ref("data"),
                    "client_headers": string_map(),
                    "headers": string_map(),
                    "user_agent": {"type": "string", "description": "the client's user_agent option (HDR-1)"},
                },
                ("token", "data"),
            ),
            one_of(
                obj(
                    {
                        "headers": string_map(),
                        "absent": arr(STR),
                        "body": ref("bytes"),
                        "user_agent_appended": {
                            "type": "string",
                            "description": "User-Agent = the client's own, one space, this text (HDR-1)",
                        },
                    },
                    ("headers",),
                ),
                error_only,
            ),
            {"data": DATA, "tensor_request": TENSOR_REQUEST},
        ),
        "header_checks": vector_file(
            one_of(
                obj(
                    {
                        "token": {"type": ["string", "null"]},
                        "client_headers": string_map(),
                        "headers": string_map(),
                        "data": ref("data"),
                    },
                    ("token", "data"),
                ),
                obj({"endpoint": STR, "service_name": STR}, ("endpoint",)),
            ),
            one_of(obj({"headers": string_map()}, ("headers",)), obj({"url": STR}, ("url",)), error_only),
            {"data": DATA, "tensor_request": TENSOR_REQUEST},
        ),
        "host_pick": vector_file(
            obj(
                {
                    "eject_for": SECONDS,
                    "instances": arr({"type": "array", "prefixItems": [STR, INT, NONNEG], "items": False}),
                    "ops": arr(
                        one_of(
                            obj({"pick": obj({"now": NUM, "exclude": STR}, ("now",))}, ("pick",)),
                            obj({"picks": {"type": "integer", "minimum": 1}, "now": NUM}, ("picks", "now")),
                            obj({"eject": STR, "now": NUM}, ("eject", "now")),
                            obj({"succeed": STR}, ("succeed",)),
                            obj({"update": arr({"type": "array"})}, ("update",)),
                        )
                    ),
                },
                ("eject_for", "instances", "ops"),
            ),
            obj({"picks": arr(STR), "counts": string_map(NONNEG)}, minProperties=1),
        ),
        "payloads": vector_file(
            one_of(
                TENSOR_REQUEST | {"required": ["kind"]},
                obj(
                    {
                        "kind": {"enum": ["tf_response", "torch_response"]},
                        "body_hex": BYTES["properties"]["hex"],
                    },
                    ("kind", "body_hex"),
                ),
            ),
            one_of(
                obj(
                    {"body_hex": BYTES["properties"]["hex"], "message": {"type": "object"}},
                    ("body_hex", "message"),
                ),
                obj({"outputs": string_map(TENSOR_OUT)}, ("outputs",)),
                error_only,
            ),
        ),  # fmt: skip
        "redaction": vector_file(
            obj(
                {
                    "what": {
                        "enum": ["client_repr", "status_error", "headers", "config_error", "caller_headers"]
                    },
                    "token": STR,
                    "status": STATUS,
                    "body": ref("bytes"),
                    "headers": {"type": ["array", "object"]},
                },
                ("what",),
            ),
            obj(
                {
                    "absent": STR,
                    "contains": STR,
                    "error": ERROR,
                    "headers": arr(PAIR),
                    "headers_after": string_map(),
                },
                minProperties=1,
            ),
        ),
        "redaction_order": vector_file(
            one_of(
                obj(
                    {"token": STR, "status": STATUS, "body": ref("bytes"), "headers": string_map()},
                    ("token", "status", "body"),
                ),
                obj(
                    {"what": {"const": "client_vars"}, "token": STR, "auth": AUTH},
                    ("what", "token", "auth"),
                ),
            ),
            obj(
                {
                    "absent": arr(STR),
                    "message_contains": STR,
                    "body": ref("bytes"),
                    "headers": string_map(),
                    "request_id": STR,
                },
                ("absent",),
            ),
        ),
        "sse": vector_file(
            one_of(
                obj({"chunks": arr(SSE_CHUNK)}, ("chunks",)),
                obj({"content_type": NULLABLE_STR}, ("content_type",)),
                obj({"kept": arr(NONNEG)}, ("kept",)),
            ),
            one_of(
                obj(
                    {"events": arr(EVENT), "error": ERROR, "lines": arr(STR), "lines_error": ERROR},
                    minProperties=1,
                ),
                obj({"event_stream": BOOL}, ("event_stream",)),
                obj({"kept": NONNEG}, ("kept",)),
            ),
            {"chunk": SSE_CHUNK},
        ),
        "chat": vector_file(
            one_of(
                obj(
                    {
                        "request": obj(
                            {
                                "messages": {"description": "passed as given, valid or not"},
                                "model": NULLABLE_STR,
                                "stream": BOOL,
                                "params": arr(
                                    {"type": "array", "prefixItems": [STR, {}], "items": False, "minItems": 2}
                                ),
                            },
                            ("messages", "stream"),
                        )
                    },
                    ("request",),
                ),
                obj({"events": arr(obj({"event": STR, "data": STR}, ("data",)))}, ("events",)),
                obj({"response": {"description": "the JSON answer of a non-stream call"}}, ("response",)),
            ),
            one_of(
                obj({"path": STR, "body": ref("bytes"), "accept": STR}, ("path", "body", "accept")),
                obj(
                    {"deltas": arr(STR), "usage": NULLABLE_OBJECT, "finish_reason": NULLABLE_STR},
                    ("deltas", "usage", "finish_reason"),
                ),
                obj(
                    {"text": STR, "usage": NULLABLE_OBJECT, "finish_reason": NULLABLE_STR},
                    ("text", "usage", "finish_reason"),
                ),
                obj({"error": ERROR, "deltas": arr(STR), "message_contains": STR}, ("error",)),
            ),
        ),
        "retry_after": vector_file(
            obj({"value": {"type": ["string", "null"]}, "now": NUM}, ("value", "now")),
            obj({"seconds": {"type": ["number", "null"], "minimum": 0}}, ("seconds",)),
        ),
        "retry_decision": vector_file(
            decision_input(TRANSPORT_KINDS),
            obj(
                {"action": {"enum": ["return", "retry", "raise"]}, "delay": SECONDS, "deadline_hit": BOOL},
                ("action",),
            ),
        ),
        **queue_vector_schemas(error_only),
        "attempt_bounds": vector_file(
            one_of(
                decision_input({"enum": [*TRANSPORT_KINDS["enum"], "too_large"]}),
                obj(
                    {
                        "max_response_bytes": {
                            "type": ["integer", "number", "boolean", "string", "null"],
                            "description": "the option as given, valid or not",
                        }
                    },
                    ("max_response_bytes",),
                ),
            ),
            one_of(
                obj({"action": {"enum": ["return", "retry", "raise"]}, "deadline_hit": BOOL}, ("action",)),
                obj({"max_response_bytes": MAX_RESPONSE_BYTES}, ("max_response_bytes",)),
                error_only,
            ),
        ),
    }


REPLY_PROPS: dict[str, Schema] = {
    "status": STATUS,
    "headers": string_map(),
    "body": ref("bytes"),
    "delay_ms": {"type": "integer", "minimum": 0, "maximum": 5000},
    "reset": BOOL,
    "echo": {"const": True, "description": "the reply body is the request body"},
    "when": ref("bytes"),
    "drip_ms": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "ms before each body byte"},
    "body_repeat": obj(
        {
            "byte": {"type": "string", "pattern": "^[0-9a-f]{2}$"},
            "count": {"type": "integer", "minimum": 0, "maximum": 16777216},
        },
        ("byte", "count"),
        description="instead of body: count copies of one byte",
    ),
    "close_after": {"const": True, "description": "close the connection after this reply, unannounced"},
    "omit_length": {"const": True, "description": "no Content-Length: the body ends at the close"},
    "chunks": arr(
        obj(
            {"data": ref("bytes"), "delay_ms": {"type": "integer", "minimum": 0, "maximum": 5000}},
            ("data",),
        ),
        description="instead of body: a chunked body, each chunk sent after its delay (STREAM-*)",
    ),
    "end": {
        "enum": ["reset", "close"],
        "description": "after the chunks: an RST, or a close without the last chunk",
    },
}
# Keys that shape how an instance's answer arrives; a discovery reply has no use for them.
_INSTANCE_ONLY = ("echo", "when", "drip_ms", "body_repeat", "close_after", "omit_length", "chunks", "end")


def scenario_schema() -> Schema:
    client = obj(
        {
            "token": {"type": ["string", "null"]},
            "service_name": STR,
            "endpoint_path": STR,
            "auth": {"enum": ["token", "signature"]},
            "headers": string_map(),
            "endpoint_type": {"enum": ["gateway", "direct"]},
            "timeout": SECONDS,
            "connect_timeout": SECONDS,
            "deadline": {"type": ["number", "null"], "minimum": 0, "description": "seconds"},
            "discovery_refresh": SECONDS,
            "eject_for": SECONDS,
            "max_retries": NONNEG,
            "backoff_base": SECONDS,
            "backoff_max": SECONDS,
            "retry_after_cap": SECONDS,
            "retry_statuses": arr(STATUS),
            "retry_errors": arr(TRANSPORT_KINDS),
            "env": obj(
                {"EAS_ENDPOINT": STR, "EAS_TOKEN": STR, "EAS_SERVICE_NAME": STR},
                description="environment fallbacks; the runner passes no endpoint when EAS_ENDPOINT is set",
            ),
            "rand": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
            "clock": {"type": "number", "description": "fixed wall clock, Unix seconds"},
            "max_response_bytes": MAX_RESPONSE_BYTES,
            "retry_budget": {"oneOf": [{"type": "null"}, RETRY_BUDGET]},
            "queue": STR,
            "uid": STR,
            "gid": STR,
        }
    )
    queue_call = obj(
        {
            "op": {"enum": [*QUEUE_OPS, "submit"]},
            "args": queue_args(
                {"type": ["string", "integer", "number", "boolean", "array", "object"]},
                {"inputs": arr(ref("data"), minItems=1), "concurrency": {"type": "integer", "minimum": 1}},
            ),
        },
        ("op",),
        description="a queue operation (protocol.md §15) instead of a predict call",
    )
    call = obj(
        {
            "data": ref("data"),
            "batch": arr(ref("data"), minItems=1),
            "concurrency": {"oneOf": [{"type": "integer"}, {"const": "auto"}, ADAPTIVE]},
            "return_exceptions": BOOL,
            "path": STR,
            "params": PARAMS,
            "headers": string_map(),
            "timeout": SECONDS,
            "max_retries": NONNEG,
            "repeat": {"type": "integer", "minimum": 1},
            "pause_ms": {"type": "integer", "minimum": 0, "maximum": 1000},
            "cancel_after_ms": {"type": "integer", "minimum": 0, "maximum": 1000},
            "stream": {"enum": ["events", "lines", "bytes"], "description": "a stream call, read this way"},
            "stop_after": {"type": "integer", "minimum": 0, "description": "close the stream after n items"},
            "queue": queue_call,
        },
        oneOf=[{"required": ["data"]}, {"required": ["batch"]}, {"required": ["queue"]}],
    )
    request = obj(
        {
            "method": {"enum": ["POST", "GET", "PUT", "DELETE"]},
            "path": STR,
            "query": STR,
            "headers": string_map({"type": ["string", "null"]}),
            "body": ref("bytes"),
            "signature_valid": BOOL,
            "connection": {"type": "integer", "minimum": 0, "description": "the connection's number"},
        },
        ("method", "path"),
    )
    success = obj({"body": ref("bytes"), "attempts": {"type": "integer", "minimum": 1}}, ("body", "attempts"))
    failure = obj(
        {
            "error": ERROR,
            "attempts": {"type": "integer", "minimum": 1},
            "status": STATUS,
            "last_error": ERROR,
            "request_id": STR,
            "service_url": {
                "type": "string",
                "description": "{origin} stands for the scripted server's origin",
            },
            "message_contains": arr(STR),
            "received": RECEIVED,
            "bytes_received": NONNEG,
        },
        ("error",),
    )
    streamed = obj(
        {"received": RECEIVED, "attempts": {"type": "integer", "minimum": 1}, "status": STATUS},
        ("received", "attempts"),
    )
    queue_value = obj(
        {
            "value": {"description": "a queue operation's result in JSON form (protocol.md §10)"},
            "attempts": {"type": "integer", "minimum": 1},
        },
        ("value",),
    )
    item_body = obj({"body": ref("bytes")}, ("body",))
    item_error = obj({"error": ERROR, "last_error": ERROR}, ("error",))
    item_cancelled = obj({"cancelled": {"const": True}}, ("cancelled",))
    cancelled = obj(
        {"cancelled": {"const": True}, "results": arr(one_of(item_body, item_error, item_cancelled))},
        ("cancelled",),
    )
    results = obj({"results": arr(one_of(item_body, item_error))}, ("results",))
    instance = obj(
        {"weight": NONNEG, "replies": arr(ref("reply")), "down": {"const": True}},
        ("weight",),
    )
    case = obj(
        {
            "name": CASE_NAME,
            "description": {"type": "string", "minLength": 1},
            "rules": RULES,
            "comment": STR,
            "input": obj(
                {
                    "client": client,
                    "call": call,
                    "warmup": arr(
                        obj({"data": ref("data")}, ("data",)),
                        minItems=1,
                        description="calls made first, each succeeding, not timed; their requests count",
                    ),
                    "replies": arr(ref("reply")),
                    "instances": arr(instance, minItems=1),
                    "discovery": arr(ref("discovery_reply")),
                },
                ("client", "call"),
                oneOf=[{"required": ["replies"]}, {"required": ["instances", "discovery"]}],
            ),
            "expect": obj(
                {
                    "requests": arr(request),
                    "unordered_requests": {"const": True},
                    "outcome": one_of(success, streamed, failure, results, cancelled, queue_value),
                    "max_in_flight": {"type": "integer", "minimum": 1},
                    "elapsed_ms": obj(
                        {"min": NONNEG, "max": NONNEG}, ("min", "max"), description="the call's wall time"
                    ),
                    "log": obj(
                        {"lines_with_url": NONNEG, "contains": arr(STR), "absent": arr(STR)},
                        minProperties=1,
                    ),
                    "instance_requests": arr(NONNEG),
                    "discovery_requests": NONNEG,
                    "final_instance": NONNEG,
                    "budget_denied": NONNEG,
                },
                ("outcome",),
            ),
        },
        ("name", "description", "rules", "input", "expect"),
    )
    defs = {
        "data": DATA,
        "tensor_request": TENSOR_REQUEST,
        "reply": obj(REPLY_PROPS, **{"not": {"required": ["body", "body_repeat"]}}),
        "discovery_reply": obj(
            {
                **{k: v for k, v in REPLY_PROPS.items() if k not in _INSTANCE_ONLY},
                "items": arr(NONNEG, description="answer these instances' real addresses"),
            }
        ),
    }
    return file_schema(case, defs)


def all_schemas() -> dict[Path, Schema]:
    out = {SCHEMA_DIR / "scenario.schema.json": scenario_schema()}
    for stem, schema in vector_schemas().items():
        schema["$id"] = f"https://eas-client/spec/schema/vectors/{stem}.schema.json"
        out[SCHEMA_DIR / "vectors" / f"{stem}.schema.json"] = schema
    out[SCHEMA_DIR / "scenario.schema.json"]["$id"] = "https://eas-client/spec/schema/scenario.schema.json"
    return out


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    schemas = all_schemas()
    stale = [p for p, s in schemas.items() if not p.exists() or p.read_text(encoding="utf-8") != render(s)]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} differs from scripts/make_schemas.py: run make generate")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(schemas[path]), encoding="utf-8")
    print(f"{len(schemas)} schemas, {len(stale)} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
