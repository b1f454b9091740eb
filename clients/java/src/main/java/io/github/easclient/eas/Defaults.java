package io.github.easclient.eas;

import java.time.Duration;
import java.util.Set;

/** Every default of the spec (DEF-1), in one place, each with its reason. Pinned by vectors/defaults.json. */
final class Defaults {
  /** Long enough for a slow model; the gateway's own limit is usually lower. */
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  /** A connect that takes longer than this is a network problem, not a busy model. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** Three retries ride out a rolling update without hammering a broken service. */
  static final int MAX_RETRIES = 3;
  /** Short first wait: 450/503 bursts usually clear within ~100 ms. */
  static final Duration BACKOFF_BASE = Duration.ofMillis(100);
  /** Cap so a long retry chain never sleeps longer than a user would wait. */
  static final Duration BACKOFF_MAX = Duration.ofSeconds(5);
  /** A server asking for more than this is treated as asking for this. */
  static final Duration RETRY_AFTER_CAP = Duration.ofSeconds(30);
  /** Statuses that mean "try again": timeout, rate limit, queue full, gateway trouble. 500 is opt-in. */
  static final Set<Integer> RETRY_STATUSES = Set.of(408, 429, 450, 502, 503, 504);
  /** A read timeout is opt-in: the server may still be running the first request. */
  static final Set<String> RETRY_ERRORS = Set.of("connect", "reset");
  /** Enough to fill one EAS instance's default 5 workers several times over. */
  static final int CONCURRENCY = 16;
  /** EAS rolls instances in seconds; 3 s matches the official SDKs' period. */
  static final Duration DISCOVERY_REFRESH = Duration.ofSeconds(3);
  /** First cool-off of an instance that refused a connection; doubles per failure in a row up to 16x. */
  static final Duration EJECT_FOR = Duration.ofSeconds(5);
  /** A float32 answer of 64 million values: far above real tensor answers, far below a worker's memory. */
  static final long MAX_RESPONSE_BYTES = 256L << 20;
  /** Discovery answers are small; anything bigger is not a discovery server. */
  static final int MAX_DISCOVERY_BYTES = 4 << 20;
  /**
   * STREAM-7: one line or event of a stream. Far above any token chunk, low enough that a server that
   * never sends a line end cannot grow a buffer without bound.
   */
  static final int STREAM_MAX_LINE_BYTES = 1 << 20;
  /** STREAM-1: asked for unless the caller sets Accept; SSE servers that look at it then choose SSE. */
  static final String STREAM_ACCEPT = "text/event-stream";

  static final String VERSION = "0.1.0";
  static final String USER_AGENT =
      "eas-client-java/" + VERSION + " (Java " + System.getProperty("java.version", "?") + ")";

  private Defaults() {}
}
