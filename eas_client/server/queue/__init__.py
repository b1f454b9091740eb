"""The local queue service of an asynchronous-inference service (``eas serve app.py --async``).
See docs/async-inference-runtime.md."""

from .app import AsyncServiceApp, parse_store
from .codec import Frame, decode_frame, decode_list, encode_frame, encode_list
from .store import QueueStore

__all__ = [
    "AsyncServiceApp",
    "Frame",
    "QueueStore",
    "decode_frame",
    "decode_list",
    "encode_frame",
    "encode_list",
    "parse_store",
]
