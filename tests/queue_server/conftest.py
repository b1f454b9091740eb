from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from eas_client.server import BaseProcessor
from eas_client.testing import LocalRuntime
from tests.queue_server.helpers import Queue

TOKEN = "queue-token"


class Upper(BaseProcessor):
    """Results are recognisable: b"abc" -> b"ABC"; b"fail" answers 400."""

    def process(self, data: bytes) -> Any:
        if data == b"fail":
            return b"cannot process this", 400
        return data.upper(), 200


class Service:
    def __init__(self, rt: LocalRuntime) -> None:
        self.rt = rt
        self.input = Queue(rt.endpoint, TOKEN)
        self.sink = Queue(rt.endpoint + "/sink", TOKEN)

    def close(self) -> None:
        self.input.close()
        self.sink.close()


@pytest.fixture
def service(request: pytest.FixtureRequest) -> Iterator[Service]:
    options = getattr(request, "param", {})
    with LocalRuntime(Upper, service="svc", token=TOKEN, async_mode=True, **options) as rt:
        svc = Service(rt)
        try:
            yield svc
        finally:
            svc.close()
