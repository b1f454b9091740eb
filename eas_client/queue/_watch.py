"""The watch (QUEUE-11…13); the WebSocket implementation follows."""

from typing import Any


class Watch:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("watch is not implemented yet")


class AsyncWatch(Watch):
    pass
