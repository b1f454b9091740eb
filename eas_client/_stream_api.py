"""The stream methods of both twins: ``stream()``, ``chat()`` and ``openai()`` (spec/protocol.md
§13). Mixed into :class:`EASClient` and :class:`AsyncEASClient`, so each twin stays a thin driver."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from ._core.endpoint import Params
from ._streaming import (
    AsyncChatStream,
    AsyncStreamOpener,
    ChatResult,
    ChatStream,
    StreamOpener,
    chat_call,
    chat_request,
    import_openai,
    openai_kwargs,
    parse_chat_response,
    stream_request,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from ._base_client import EASResponse

Messages = Sequence[Mapping[str, Any]]


class SyncStreamAPI:
    if TYPE_CHECKING:

        def request(
            self, data: object, *, path: str | None = ..., headers: Mapping[str, str] | None = ...
        ) -> EASResponse: ...

    def stream(
        self,
        data: object,
        *,
        path: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> StreamOpener:
        """Send ``data`` like :meth:`predict` and read the answer as it arrives.

        Retried as ``predict`` is until a 2xx answer's headers arrive, never after (STREAM-3);
        ``timeout`` bounds the wait for the headers and each silence in the body, not the whole
        stream. Asks for ``text/event-stream`` unless ``headers`` name an ``Accept``.

        Example::

            with client.stream({"prompt": "hi"}, path="generate") as stream:
                for event in stream.iter_events():
                    print(event.event, event.data)
        """
        req = stream_request(self, data, path, params, headers, timeout, max_retries)
        return StreamOpener(self, req)

    @overload
    def chat(
        self, messages: Messages, model: str | None = ..., stream: Literal[True] = ..., **params: Any
    ) -> ChatStream: ...

    @overload
    def chat(
        self, messages: Messages, model: str | None = ..., *, stream: Literal[False], **params: Any
    ) -> ChatResult: ...

    def chat(
        self, messages: Messages, model: str | None = None, stream: bool = True, **params: Any
    ) -> ChatStream | ChatResult:
        """Chat with an OpenAI-compatible service (vLLM, SGLang, BladeLLM images) at
        ``<service>/v1/chat/completions``. Streamed (the default): iterate the text deltas, then
        read ``usage``; ``stream=False``: a :class:`ChatResult`. ``params`` go into the body.

        Example::

            for delta in client.chat([{"role": "user", "content": "Hi"}], max_tokens=64):
                print(delta, end="")
        """
        req = chat_request(_listed(messages), model, stream, params)
        call = chat_call(req)
        if stream:
            return ChatStream(StreamOpener(self, stream_request(self, req.body, **call)))
        return parse_chat_response(self.request(req.body, **call).body)

    def openai(self, **kwargs: Any) -> Any:
        """An ``openai.OpenAI`` client for this service (extra ``[openai]``): ``base_url`` is the
        service URL + ``/v1``, ``api_key`` the token; ``kwargs`` override.

        Example::

            oai = client.openai()
            oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "Hi"}])
        """
        return import_openai().OpenAI(**openai_kwargs(self, kwargs))


class AsyncStreamAPI:
    if TYPE_CHECKING:

        async def request(
            self, data: object, *, path: str | None = ..., headers: Mapping[str, str] | None = ...
        ) -> EASResponse: ...

    def stream(
        self,
        data: object,
        *,
        path: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> AsyncStreamOpener:
        """Async :meth:`EASClient.stream`: ``async with client.stream(data) as stream:``."""
        req = stream_request(self, data, path, params, headers, timeout, max_retries)
        return AsyncStreamOpener(self, req)

    @overload
    def chat(
        self, messages: Messages, model: str | None = ..., stream: Literal[True] = ..., **params: Any
    ) -> AsyncChatStream: ...

    @overload
    def chat(
        self, messages: Messages, model: str | None = ..., *, stream: Literal[False], **params: Any
    ) -> Awaitable[ChatResult]: ...

    def chat(
        self, messages: Messages, model: str | None = None, stream: bool = True, **params: Any
    ) -> AsyncChatStream | Awaitable[ChatResult]:
        """Async :meth:`EASClient.chat`: ``async for delta in client.chat(messages)``, or
        ``await client.chat(messages, stream=False)``."""
        req = chat_request(_listed(messages), model, stream, params)
        call = chat_call(req)
        if stream:
            return AsyncChatStream(AsyncStreamOpener(self, stream_request(self, req.body, **call)))
        return self._chat_once(req.body, call)

    async def _chat_once(self, body: bytes, call: dict[str, Any]) -> ChatResult:
        return parse_chat_response((await self.request(body, **call)).body)

    def openai(self, **kwargs: Any) -> Any:
        """An ``openai.AsyncOpenAI`` client for this service (extra ``[openai]``); see
        :meth:`EASClient.openai`."""
        return import_openai().AsyncOpenAI(**openai_kwargs(self, kwargs))


def _listed(messages: object) -> object:
    """A tuple of messages is as good as a list; anything else is checked by chat_request."""
    return list(messages) if isinstance(messages, tuple) else messages
