"""Shared read side of TFResponse and TorchResponse: named (or indexed) decoded tensors."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any, Generic, TypeVar

from .._core.errors import PayloadError
from ._dtypes import DataType
from ._tensor import Tensor

K = TypeVar("K", bound=Hashable)


class TensorResponse(Generic[K]):
    """Decoded outputs. With numpy, values are read-only arrays viewing the body (zero-copy): call
    ``.copy()`` on one to write to it. Without numpy, values are nested lists."""

    _kind = "response"

    def __init__(self, tensors: dict[K, Tensor]) -> None:
        self._tensors = tensors

    def _tensor(self, key: K) -> Tensor:
        try:
            return self._tensors[key]
        except KeyError:
            raise PayloadError(
                f"{self._kind} has no output {key!r}; it has [{', '.join(map(repr, self._tensors))}]"
            ) from None

    def get(self, key: K) -> Any:
        """The output's values: a numpy array shaped like the tensor (nested lists without numpy)."""
        return self._tensor(key).value

    def shape(self, key: K) -> tuple[int, ...]:
        """The output's shape as sent by the server (``()`` for a scalar)."""
        return self._tensor(key).shape

    def dtype(self, key: K) -> DataType:
        """The output's element type as sent by the server."""
        return self._tensor(key).dtype

    def keys(self) -> list[K]:
        """Output names (or indices) in the order the server sent them."""
        return list(self._tensors)

    def __contains__(self, key: object) -> bool:
        return key in self._tensors

    def __iter__(self) -> Iterator[K]:
        return iter(self._tensors)

    def __len__(self) -> int:
        return len(self._tensors)

    def __repr__(self) -> str:
        items = ", ".join(f"{k!r}: {t.dtype.name}{list(t.shape)}" for k, t in self._tensors.items())
        return f"{type(self).__name__}({{{items}}})"
