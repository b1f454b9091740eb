"""A deadline for an attempt whose engine fixes its read timeout when a phase starts (httpx's sync
engine: httpcore takes the read timeout once for the headers and once for the body), so a read
that starts late in the budget could wait a whole ``timeout`` more (TIMEOUT-1).

One daemon thread keeps the armed attempts; when an attempt's budget runs out it shuts that
attempt's socket down, which wakes the blocked read or write at once with an end of stream. The
attempt then sees ``fired`` and reports a timeout. Disarming happens before the connection goes
back to the pool or is closed, under the same lock as firing, so a socket is never shut down
once its attempt is over (and never after its descriptor may have been reused). The thread
leaves after ``linger`` seconds with nothing armed, and is started again by the next arm.

>>> import socket, time
>>> a, b = socket.socketpair()
>>> alarm = Alarm(time.monotonic() + 0.05)
>>> WATCHDOG.arm(alarm, a)
>>> a.recv(1), alarm.fired  # woken by the shutdown, not by data
(b'', True)
>>> WATCHDOG.disarm(alarm)
... a.close()
... b.close()
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time


class Alarm:
    """One attempt's budget: ``deadline`` on the monotonic clock; ``fired`` once its socket was
    shut down for running past it."""

    __slots__ = ("armed", "deadline", "fired")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.armed = False
        self.fired = False


class Watchdog:
    def __init__(self, linger: float = 30.0) -> None:
        self._linger = linger
        self._cond = threading.Condition(threading.Lock())
        self._armed: dict[Alarm, socket.socket] = {}
        self._wake = math.inf
        self._running = False

    def arm(self, alarm: Alarm, sock: socket.socket) -> None:
        """Shut ``sock`` down at ``alarm.deadline`` unless disarmed first; arming again moves the
        alarm to another socket (a TLS socket replaces the TCP one it was made from)."""
        with self._cond:
            self._armed[alarm] = sock
            alarm.armed = True
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="eas-client-watchdog", daemon=True).start()
            elif alarm.deadline < self._wake:
                self._cond.notify()

    def disarm(self, alarm: Alarm) -> None:
        """After this returns the watchdog never touches the alarm's socket."""
        with self._cond:
            self._armed.pop(alarm, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for alarm in [a for a in self._armed if a.deadline <= now]:
                    alarm.fired = True
                    _shut(self._armed.pop(alarm))
                if self._armed:
                    self._wake = min(a.deadline for a in self._armed)
                    self._cond.wait(self._wake - now)
                    continue
                self._wake = math.inf
                if not self._cond.wait(self._linger) and not self._armed:
                    self._running = False
                    return

    def _after_fork(self) -> None:
        # The thread does not survive a fork; the child starts its own on its first arm.
        self._cond = threading.Condition(threading.Lock())
        self._armed = {}
        self._wake = math.inf
        self._running = False


def _shut(sock: socket.socket) -> None:
    try:
        # The plain socket's shutdown, also for an SSLSocket: its own override would drop the TLS
        # object under the reading thread.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by its engine: nothing left to wake


WATCHDOG = Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=WATCHDOG._after_fork)
