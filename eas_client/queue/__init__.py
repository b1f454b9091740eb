"""The EAS queue service client (asynchronous inference): see docs/async-inference.md."""

from .._core.dataframe import DataFrame
from ._collect import Collected
from .aio import AsyncQueueClient
from .client import QueueClient

__all__ = ["AsyncQueueClient", "Collected", "DataFrame", "QueueClient"]
