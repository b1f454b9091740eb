"""The watch's bookkeeping (spec/protocol.md QUEUE-11…13) as a pure state machine: which frames
reach the caller, where a reconnect resumes, how long to wait before it and when to give up.

Example::

    state = WatchState(start=0)
    assert state.offer(3) and not state.offer(3)  # a repeat of index 3 is skipped
    state.dropped()
    assert state.resume_index() == 4
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .errors import PayloadError

# The SDKs ping every 1-2 s; servers drop a connection idle for much longer than that.
DEFAULT_PING_INTERVAL_S = 2.0
# Five missed pings: long enough for a busy server, short enough to notice a dead peer.
DEFAULT_PING_TIMEOUT_S = 10.0
# The Java SDK's bound; the Python one retries forever, which hides an outage.
DEFAULT_MAX_RECONNECTS = 20
RECONNECT_BASE_S = 0.5
RECONNECT_MAX_S = 5.0
# QUEUE-12: the delivered indexes remembered to skip repeats (at least this many recent ones).
DEDUP_WINDOW = 65536


def reconnect_delay(failures: int, rand: float) -> float:
    """QUEUE-13: ``d/2 + rand·d/2`` with ``d = min(5, 0.5·2^(k−1))``: never 0, so a server that
    accepts and drops at once is not hammered."""
    d: float = min(RECONNECT_MAX_S, RECONNECT_BASE_S * 2.0 ** (max(failures, 1) - 1))
    return d / 2 + rand * d / 2


@dataclass
class WatchState:
    """What one watch has delivered; ``offer`` says whether a frame goes to the caller."""

    start: int
    last: int | None = None
    failures: int = 0
    max_reconnects: int = DEFAULT_MAX_RECONNECTS
    _seen: set[int] = field(default_factory=set, repr=False)
    _order: deque[int] = field(default_factory=deque, repr=False)

    def offer(self, index: int) -> bool:
        """A frame arrived: True to deliver it, False to skip a repeat. Index 0 is no item."""
        if index < 1:
            raise PayloadError(f"watch received a frame with index {index}; items are numbered from 1")
        self.failures = 0
        if index in self._seen:
            return False
        self._seen.add(index)
        self._order.append(index)
        if len(self._order) > DEDUP_WINDOW:
            self._seen.discard(self._order.popleft())
        self.last = index if self.last is None else max(self.last, index)
        return True

    def alive(self) -> None:
        """A pong arrived: the connection works end to end (QUEUE-13 resets the count)."""
        self.failures = 0

    def dropped(self) -> bool:
        """A connection was lost or refused: count it; False when the watch must give up."""
        self.failures += 1
        return self.failures <= self.max_reconnects

    def resume_index(self) -> int:
        """QUEUE-12: after the last index delivered, or the start while nothing was."""
        return self.start if self.last is None else self.last + 1
