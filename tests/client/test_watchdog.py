"""The watchdog that ends a sync httpx attempt at its budget: it shuts down exactly the armed
sockets whose deadline passed, never one disarmed in time, and its thread leaves when idle."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from eas_client._transports._watchdog import Alarm, Watchdog


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    with a, b:
        a.settimeout(5)
        yield a, b


def test_a_passed_deadline_wakes_the_blocked_read(pair: tuple[socket.socket, socket.socket]) -> None:
    dog = Watchdog()
    alarm = Alarm(time.monotonic() + 0.2)
    dog.arm(alarm, pair[0])
    started = time.monotonic()
    assert pair[0].recv(1) == b""  # an end of stream, not the 5 s socket timeout
    assert 0.15 <= time.monotonic() - started < 1.0
    assert alarm.fired and alarm.armed


def test_a_disarmed_alarm_never_touches_its_socket(pair: tuple[socket.socket, socket.socket]) -> None:
    dog = Watchdog()
    alarm = Alarm(time.monotonic() + 0.05)
    dog.arm(alarm, pair[0])
    dog.disarm(alarm)
    time.sleep(0.2)  # past the deadline: what is checked is that nothing happens by then
    pair[1].sendall(b"x")
    assert pair[0].recv(1) == b"x"
    assert not alarm.fired


def test_an_earlier_alarm_armed_later_fires_first() -> None:
    dog = Watchdog()
    pairs = [socket.socketpair() for _ in range(2)]
    try:
        late, early = Alarm(time.monotonic() + 30), Alarm(time.monotonic() + 0.1)
        dog.arm(late, pairs[0][0])
        dog.arm(early, pairs[1][0])
        pairs[1][0].settimeout(5)
        assert pairs[1][0].recv(1) == b""
        assert early.fired and not late.fired
        dog.disarm(late)
    finally:
        for a, b in pairs:
            a.close()
            b.close()


def test_the_thread_leaves_when_idle_and_returns_on_the_next_arm(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    dog = Watchdog(linger=0.05)
    # Disarming wakes nobody (no cost per call); the thread notices at the old deadline.
    first = Alarm(time.monotonic() + 0.1)
    dog.arm(first, pair[0])
    assert dog._running
    dog.disarm(first)
    for _ in range(100):  # bounded: 5 s at most
        if not dog._running:
            break
        time.sleep(0.05)
    assert not dog._running
    second = Alarm(time.monotonic() + 0.05)
    dog.arm(second, pair[0])
    assert pair[0].recv(1) == b"" and second.fired


def test_a_socket_its_engine_closed_already_is_skipped() -> None:
    a, b = socket.socketpair()
    b.close()
    a.close()
    dog = Watchdog()
    alarm = Alarm(time.monotonic())
    dog.arm(alarm, a)
    for _ in range(100):
        if alarm.fired:
            break
        time.sleep(0.01)
    assert alarm.fired
