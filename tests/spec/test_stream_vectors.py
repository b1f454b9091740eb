"""Runs spec/vectors/sse.json (every case also re-split at every byte boundary, protocol.md §11)
and spec/vectors/chat.json against the sans-IO stream readers of the core."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import eas_client
from eas_client._core import chat, sse, stream
from eas_client._core.errors import StreamError

from .corpus import bytes_match, decode_bytes, params

RESPLIT_MAX = 4096  # §11: longer inputs (the 1 MiB cases) run only as given


def _chunks(spec: list[dict[str, Any]]) -> list[bytes]:
    out = []
    for c in spec:
        out.append(bytes.fromhex(c["fill"]["byte"]) * c["fill"]["count"] if "fill" in c else decode_bytes(c))
    return out


def _splits(chunks: list[bytes]) -> Iterator[list[bytes]]:
    yield chunks
    whole = b"".join(chunks)
    if len(whole) > RESPLIT_MAX:
        return
    yield [whole]
    for k in range(1, len(whole)):
        yield [whole[:k], whole[k:]]
    yield [whole[i : i + 1] for i in range(len(whole))]


def _read_events(chunks: list[bytes]) -> tuple[list[dict[str, Any]], str | None]:
    parser = sse.EventParser()
    got: list[dict[str, Any]] = []
    try:
        for chunk in chunks:
            got += [e._asdict() for e in parser.feed(chunk)]
            if parser.failed is not None:
                raise parser.failed
        parser.end()
    except StreamError as exc:
        return got, type(exc).__name__
    return got, None


def _read_lines(chunks: list[bytes]) -> tuple[list[str], str | None]:
    decoder = sse.LineDecoder()
    got: list[str] = []
    try:
        for chunk in chunks:
            got += decoder.feed(chunk)
            if decoder.failed is not None:
                raise decoder.failed
        last = decoder.end()
        if last is not None:
            got.append(last)
    except StreamError as exc:
        return got, type(exc).__name__
    return got, None


@pytest.mark.parametrize("case", params("vectors", ["sse"]))
def test_sse(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    if "content_type" in inp:
        assert sse.is_event_stream(inp["content_type"]) is exp["event_stream"]
        return
    if "kept" in inp:  # STREAM-10: the bounded tail of delivered events an error carries
        keeper = stream.KeptEvents()
        delivered = [sse.ServerSentEvent(data="a" * size) for size in inp["kept"]]
        for event in delivered:
            keeper.add(event)
        assert keeper.kept() == delivered[len(delivered) - exp["kept"] :]
        assert keeper.delivered == len(delivered)
        return
    for chunks in _splits(_chunks(inp["chunks"])):
        if "events" in exp:
            events, error = _read_events(chunks)
            assert (error, len(events)) == (exp.get("error"), len(exp["events"])), [len(c) for c in chunks]
            assert events == exp["events"], [len(c) for c in chunks]
        if "lines" in exp:
            lines, error = _read_lines(chunks)
            assert (lines, error) == (exp["lines"], exp.get("lines_error")), [len(c) for c in chunks]


@pytest.mark.parametrize("case", params("vectors", ["chat"]))
def test_chat(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expect"]
    if "request" in inp:
        r = inp["request"]

        def run() -> Any:
            return chat.chat_request(r["messages"], r.get("model"), r["stream"], r.get("params", []))

    elif "events" in inp:
        delivered: list[str] = []

        def run() -> Any:
            reader = chat.ChatReader()
            for e in inp["events"]:
                delivered.extend(reader.take(sse.ServerSentEvent(e.get("event", "message"), e["data"])))
                if reader.done:
                    return delivered, reader
            raise eas_client.StreamIncompleteError("no [DONE]")

    else:

        def run() -> Any:
            return chat.parse_chat_response(decode_bytes({"json": inp["response"]}))

    if "error" in exp:
        with pytest.raises(getattr(eas_client, exp["error"])) as info:
            run()
        assert type(info.value).__name__ == exp["error"]
        if "deltas" in exp:
            assert delivered == exp["deltas"]
        if "message_contains" in exp:
            assert exp["message_contains"] in str(info.value)
        return
    got = run()
    if "path" in exp:
        assert (got.path, got.accept) == (exp["path"], exp["accept"])
        assert bytes_match(got.body, exp["body"])
    elif "deltas" in exp:
        deltas, reader = got
        assert (deltas, reader.usage, reader.finish_reason) == (
            exp["deltas"],
            exp["usage"],
            exp["finish_reason"],
        )
    else:
        assert (got.text, got.usage, got.finish_reason) == (exp["text"], exp["usage"], exp["finish_reason"])
