package io.github.easclient.eas;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What CONN-1 needs to know and java.net.http does not say: did an attempt go out on a reused idle
 * connection? The JDK's HTTP/1.1 pool hands an exchange an idle connection to the same origin when it
 * has one, and keeps a connection after an answer unless the answer says {@code Connection: close};
 * it drops connections idle longer than {@code jdk.httpclient.keepalive.timeout} (1200 s on Java 17).
 * This class mirrors that: an answer that leaves the connection open adds one idle connection (with
 * its time), an attempt takes one when any is left, and one idle past the keep-alive time is forgotten.
 * Where it can still differ from the JDK's pool is described in the README (CONN-1).
 */
final class IdleConnections {
  /** The JDK's own keep-alive time for idle HTTP/1.1 connections, read the way the JDK reads it. */
  static final long JDK_KEEP_ALIVE_NANOS = keepAliveSeconds() * 1_000_000_000L;

  private final Map<String, ArrayDeque<Long>> idle = new HashMap<>();
  private final long keepAliveNanos;
  private final LongSupplier nanoTime;

  IdleConnections() {
    this(JDK_KEEP_ALIVE_NANOS, System::nanoTime);
  }

  IdleConnections(long keepAliveNanos, LongSupplier nanoTime) {
    this.keepAliveNanos = keepAliveNanos;
    this.nanoTime = nanoTime;
  }

  private static long keepAliveSeconds() {
    try {
      return Math.max(0, Long.parseLong(System.getProperty("jdk.httpclient.keepalive.timeout", "1200").trim()));
    } catch (NumberFormatException | SecurityException e) {
      return 1200;
    }
  }

  /** True when the attempt about to start will (probably) reuse an idle connection; it takes that one. */
  synchronized boolean take(String origin) {
    ArrayDeque<Long> q = idle.get(origin);
    if (q == null) {
      return false;
    }
    long now = nanoTime.getAsLong();
    // Oldest first: the JDK closes those first, so they are the first to forget.
    while (!q.isEmpty() && now - q.peekFirst() > keepAliveNanos) {
      q.pollFirst();
    }
    return q.pollLast() != null;
  }

  /** A complete answer that kept the connection open. */
  synchronized void give(String origin) {
    idle.computeIfAbsent(origin, o -> new ArrayDeque<>()).addLast(nanoTime.getAsLong());
  }

  /** Idle connections counted for {@code origin} (tests). */
  synchronized int count(String origin) {
    ArrayDeque<Long> q = idle.get(origin);
    return q == null ? 0 : q.size();
  }
}
