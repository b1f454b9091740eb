package io.github.easclient.eas;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A count of the idle keep-alive connections the HTTP client should hold per origin, so an attempt
 * knows whether it probably went out on a reused connection (CONN-1). java.net.http does not say
 * which connection an exchange used; it reuses an idle one when it has one, which this mirrors: an
 * answer that leaves the connection open adds one, an attempt takes one when any is counted.
 */
final class IdleConnections {
  private final ConcurrentHashMap<String, AtomicInteger> idle = new ConcurrentHashMap<>();

  /** True when the attempt about to start will (probably) reuse an idle connection. */
  boolean take(String origin) {
    AtomicInteger n = idle.get(origin);
    if (n == null) {
      return false;
    }
    while (true) {
      int v = n.get();
      if (v == 0) {
        return false;
      }
      if (n.compareAndSet(v, v - 1)) {
        return true;
      }
    }
  }

  /** A complete answer that kept the connection open. */
  void give(String origin) {
    idle.computeIfAbsent(origin, o -> new AtomicInteger()).incrementAndGet();
  }
}
