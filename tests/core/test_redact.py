"""_core/redact: where and how the token is masked (SEC-*). The cross-language cases are in
spec/vectors/redaction.json and redaction_order.json (tests/spec)."""

from __future__ import annotations

import pickle

import pytest

from eas_client._core import redact

TOKEN = "sk-redact-test-123456"


def test_redact_token_never_keeps_a_prefix() -> None:
    assert redact.redact_token(TOKEN) == "***"
    assert redact.redact_token(None) is None


def test_redact_text_masks_every_occurrence_of_a_long_token() -> None:
    assert redact.redact_text(f"a {TOKEN} b {TOKEN}", TOKEN) == "a *** b ***"
    assert redact.redact_text("nothing here", TOKEN) == "nothing here"
    assert redact.redact_text("anything", None) == "anything"


def test_a_short_token_is_not_searched_for_in_text_but_masked_as_a_whole_value() -> None:
    short = "HT"
    assert len(short) < redact.MIN_SEARCHED_TOKEN
    assert redact.redact_text("HTTP 500", short) == "HTTP 500"
    assert redact.redact_value(short, short) == "***"


def test_redact_bytes_masks_the_whole_body() -> None:
    body = b"x" * 1000 + TOKEN.encode() + b"y"
    assert redact.redact_bytes(body, TOKEN) == b"x" * 1000 + b"***y"


def test_secret_headers_are_masked_whatever_their_case() -> None:
    headers = [("Authorization", TOKEN), ("COOKIE", "c=1"), ("X-Other", "v")]
    assert redact.redact_headers(headers) == [("Authorization", "***"), ("COOKIE", "***"), ("X-Other", "v")]
    echoed = {"X-Echo": f"got {TOKEN}", "x-eas-token": "t", "X-Id": TOKEN}
    assert redact.redact_header_map(echoed, TOKEN) == {
        "X-Echo": "got ***",
        "x-eas-token": "***",
        "X-Id": "***",
    }


def test_masked_headers_stay_a_plain_dict_with_a_masked_repr() -> None:
    headers = redact.MaskedHeaders({"Authorization": TOKEN, "Content-Type": "text/plain"})
    assert headers["Authorization"] == TOKEN
    assert TOKEN not in repr(headers) and "text/plain" in repr(headers)


def test_secret_hides_its_value_from_repr_str_and_pickle() -> None:
    secret = redact.Secret(TOKEN)
    assert secret.reveal() == TOKEN
    assert repr(secret) == str(secret) == "Secret('***')"
    assert TOKEN not in repr([secret, {"t": secret}])
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(secret)
