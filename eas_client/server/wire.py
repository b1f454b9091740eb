"""HTTP plumbing of the gateway: reading a bounded request body, plain answers, resetting a
connection, and the pieces of a relayed stream (noticing that the caller left, SSE framing)."""

from __future__ import annotations

import asyncio
import socket
import struct
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from .processor import NO_BODY_STATUSES, Answer
from .streams import sse_event

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
CLOSE = [(b"connection", b"close")]
# A refusal leaves the body unread; one up to this size is most likely in the socket buffer already.
SMALL_UNREAD_BODY = 64 * 1024


async def on_disconnect(receive: Receive, leave: Callable[[], None]) -> None:
    """The request body is read, so the next message is the client leaving."""
    while (await receive())["type"] != "http.disconnect":
        pass
    leave()


async def sse_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        yield sse_event(chunk)


async def reset_connection(send: Send) -> None:
    """Reset the connection before any response byte. ASGI cannot say this, so reach the transport
    of uvicorn's request cycle (``send`` is its bound method in both the h11 and httptools
    protocols). SO_LINGER 0 turns the close into a TCP RST, as from a crashed instance."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.Transport):
        return  # another server: the raise that follows becomes its 500
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let connection_lost run first, so uvicorn does not try to answer on the dead connection.
    await asyncio.sleep(0)


async def read_body(receive: Receive, limit: int, timeout: float) -> bytes | Answer | None:
    """The request body, or a 413/408 answer (the connection must then close), or None when the
    client disconnected. The common one-message body costs no timer."""
    message = await receive()
    if message["type"] == "http.disconnect":
        return None
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body if len(body) <= limit else Answer(413, too_large(limit, None), "text/plain")
    chunks, size = [body], len(body)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0.0))
        except asyncio.TimeoutError:
            msg = f"request body not received within {timeout:g} s (--body-timeout)"
            return Answer(408, msg.encode(), "text/plain")
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return Answer(413, too_large(limit, None), "text/plain")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def content_length(headers: dict[str, str]) -> int | None:
    value = headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None  # the HTTP parser has refused such a request already


def too_large(limit: int, length: int | None) -> bytes:
    size = f"of {length} bytes " if length is not None else ""
    return f"request body {size}is over this runtime's limit of {limit} bytes (--max-body)".encode()


def close_unless_small(headers: dict[str, str]) -> list[tuple[bytes, bytes]] | None:
    """A refusal leaves the body unread. A small one (most likely in the socket buffer already) is
    skipped so the connection stays usable; anything bigger or of unknown size closes it."""
    length = content_length(headers)
    if length is None and "transfer-encoding" not in headers:
        return None  # no body at all
    if length is not None and length <= SMALL_UNREAD_BODY:
        return None
    return CLOSE


async def send_reply(
    send: Send, status: int, body: bytes, content_type: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    if status in NO_BODY_STATUSES:
        # No body and no length: a body here would be read as the start of the next response.
        headers = [(b"x-request-id", uuid.uuid4().hex.encode())]
        body = b""
    else:
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", uuid.uuid4().hex.encode()),
        ]
    if extra:
        headers += extra
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
