package io.github.easclient.eas;

import java.util.HashMap;
import java.util.Map;

/**
 * A count of the idle keep-alive connections the HTTP client should hold per origin, so an attempt
 * knows whether it probably went out on a reused connection (CONN-1). java.net.http does not say
 * which connection an exchange used; it reuses an idle one when it has one, which this mirrors: an
 * answer that leaves the connection open adds one, an attempt takes one when any is counted.
 */
final class IdleConnections {
  private final Map<String, Integer> idle = new HashMap<>();

  /** True when the attempt about to start will (probably) reuse an idle connection. */
  synchronized boolean take(String origin) {
    int n = idle.getOrDefault(origin, 0);
    if (n == 0) {
      return false;
    }
    idle.put(origin, n - 1);
    return true;
  }

  /** A complete answer that kept the connection open. */
  synchronized void give(String origin) {
    idle.merge(origin, 1, Integer::sum);
  }
}
