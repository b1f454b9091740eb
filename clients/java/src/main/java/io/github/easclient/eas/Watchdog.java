package io.github.easclient.eas;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The deadlines of a client's attempts (TIMEOUT-1: from sending to the last body byte), checked by one
 * sweep every {@link #TICK_NANOS} while any attempt runs. A timer per attempt (a task of ours, or the
 * JDK's request timeout, which registers with its selector thread) wakes another thread on almost
 * every call; here arming and disarming only touch a concurrent set, and a deadline is noticed at
 * most one tick late.
 */
final class Watchdog {
  /** Something with a deadline that the sweep ends: an attempt's body handler, or a socket write. */
  interface Timed {
    /** When its time is up ({@link System#nanoTime()}). */
    long deadlineNanos();

    /** Its time is up: end it wherever it is. */
    void expire();
  }

  /** 10 ms: far below any useful timeout, and at most 100 wake-ups a second while calls run. */
  static final long TICK_NANOS = 10_000_000L;

  private final ScheduledExecutorService timer;
  private final Set<Timed> armed = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean sweeping = new AtomicBoolean();

  Watchdog(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  void arm(Timed attempt) {
    armed.add(attempt);
    if (!sweeping.get() && sweeping.compareAndSet(false, true)) {
      next();
    }
  }

  void disarm(Timed attempt) {
    armed.remove(attempt);
  }

  private void next() {
    try {
      timer.schedule(this::sweep, TICK_NANOS, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // The client is closed: its calls fail on their own, nothing is left to time.
      sweeping.set(false);
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Timed b : armed) {
      if (now - b.deadlineNanos() >= 0) {
        armed.remove(b);
        b.expire();
      }
    }
    if (armed.isEmpty()) {
      sweeping.set(false);
      // A body armed between the check and the reset saw the flag still set and left the restart to us.
      if (armed.isEmpty() || !sweeping.compareAndSet(false, true)) {
        return;
      }
    }
    next();
  }
}
