package io.github.easclient.eas;

import java.util.Set;

/** The retry settings of one call (RETRY-1..6), in seconds; immutable. */
final class RetryPolicy {
  final int maxRetries;
  final double backoffBase;
  final double backoffMax;
  final double retryAfterCap;
  /** Seconds from the start of the call, or negative for none. */
  final double deadline;
  final Set<Integer> retryStatuses;
  final Set<String> retryErrors;

  RetryPolicy(int maxRetries, double backoffBase, double backoffMax, double retryAfterCap, double deadline,
      Set<Integer> retryStatuses, Set<String> retryErrors) {
    this.maxRetries = maxRetries;
    this.backoffBase = backoffBase;
    this.backoffMax = backoffMax;
    this.retryAfterCap = retryAfterCap;
    this.deadline = deadline;
    this.retryStatuses = Set.copyOf(retryStatuses);
    this.retryErrors = Set.copyOf(retryErrors);
  }

  static RetryPolicy defaults() {
    return new RetryPolicy(Defaults.MAX_RETRIES, seconds(Defaults.BACKOFF_BASE), seconds(Defaults.BACKOFF_MAX),
        seconds(Defaults.RETRY_AFTER_CAP), -1, Defaults.RETRY_STATUSES, Defaults.RETRY_ERRORS);
  }

  RetryPolicy withMaxRetries(int n) {
    return new RetryPolicy(n, backoffBase, backoffMax, retryAfterCap, deadline, retryStatuses, retryErrors);
  }

  static double seconds(java.time.Duration d) {
    return d.toNanos() / 1e9;
  }

  boolean hasDeadline() {
    return deadline >= 0;
  }
}
