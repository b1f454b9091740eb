"""The chat helper's pure rules (STREAM-11/12) beyond spec/vectors/chat.json."""

from __future__ import annotations

import pytest

from eas_client import ConfigError, StreamEventError
from eas_client._core import chat, sse


def test_chat_params_must_be_json() -> None:
    with pytest.raises(ConfigError, match="not JSON"):
        chat.chat_request([{"role": "user"}], None, True, {"temperature": float("nan")})


def test_an_error_event_holding_an_error_member_raises_for_that_member() -> None:
    reader = chat.ChatReader()
    with pytest.raises(StreamEventError) as info:
        reader.take(sse.ServerSentEvent("error", '{"error": {"message": "quota"}, "id": 1}'))
    assert info.value.error == {"message": "quota"} and "quota" in str(info.value)
