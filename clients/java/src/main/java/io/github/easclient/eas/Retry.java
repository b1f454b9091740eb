package io.github.easclient.eas;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether and when to retry (RETRY-1..6): pure functions of the outcome, the attempt count, the elapsed
 * time, a random number in [0, 1) and the clock. The client's loop only carries out the decision.
 */
final class Retry {
  enum Action { RETURN, RETRY, RAISE }

  /** One decision; {@code delay} in seconds when retrying; {@code reason} is for the DEBUG log. */
  static final class Decision {
    final Action action;
    final double delay;
    final boolean deadlineHit;
    final String reason;

    Decision(Action action, double delay, boolean deadlineHit, String reason) {
      this.action = action;
      this.delay = delay;
      this.deadlineHit = deadlineHit;
      this.reason = reason;
    }
  }

  private Retry() {}

  /** Most attempts end here; one shared instance (decisions are immutable). */
  private static final Decision SUCCESS = new Decision(Action.RETURN, 0, false, "success");

  /**
   * The decision after attempt number {@code attempts} (1-based) ended with {@code status} (an HTTP status,
   * or 0) or {@code errorKind} (connect/reset/timeout, or null).
   */
  static Decision decide(RetryPolicy p, int attempts, int status, String errorKind, String retryAfter,
      double elapsed, double rand, double now) {
    if (errorKind == null && status >= 200 && status < 300) {
      return SUCCESS;
    }
    if ("timeout".equals(errorKind) && p.hasDeadline() && elapsed >= p.deadline) {
      // TIMEOUT-2: the deadline is what stopped the call, whether or not timeouts are retried.
      return new Decision(Action.RAISE, 0, true, "timeout at the deadline");
    }
    boolean retryable = errorKind != null ? p.retryErrors.contains(errorKind) : p.retryStatuses.contains(status);
    String what = errorKind != null ? errorKind + " error" : "status " + status;
    if (!retryable) {
      return new Decision(Action.RAISE, 0, false, what + " is not retried");
    }
    if (attempts > p.maxRetries) {
      return new Decision(Action.RAISE, 0, false, what + ": retries exhausted (max " + p.maxRetries + ")");
    }
    Double ra = errorKind == null ? retryAfterSeconds(retryAfter, now) : null;
    double delay = ra != null ? Math.min(ra, p.retryAfterCap) : backoff(p, attempts, rand);
    if (p.hasDeadline() && elapsed + delay >= p.deadline) {
      return new Decision(Action.RAISE, delay, true, what + ": a retry in " + delay + " s would pass the deadline");
    }
    return new Decision(Action.RETRY, delay, false,
        what + ": retry in " + delay + " s" + (ra != null ? " (Retry-After)" : ""));
  }

  /** Full jitter: rand × min(max, base × 2^(retry−1)) seconds (RETRY-4). */
  static double backoff(RetryPolicy p, int retry, double rand) {
    double cap = retry - 1 >= 1023 ? p.backoffMax : Math.min(p.backoffMax, p.backoffBase * Math.pow(2, retry - 1));
    return rand * cap;
  }

  private static final Pattern SECONDS = Pattern.compile("[0-9]+(\\.[0-9]+)?");
  private static final Pattern IMF = Pattern.compile(
      "[A-Za-z]{3}, ([0-9]{2}) ([A-Za-z]{3}) ([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT");
  private static final Pattern RFC850 = Pattern.compile(
      "[A-Za-z]+, ([0-9]{2})-([A-Za-z]{3})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT");
  private static final Pattern ASCTIME = Pattern.compile(
      "[A-Za-z]{3} ([A-Za-z]{3}) ([ 0-9][0-9]) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([0-9]{4})");
  private static final List<String> MONTHS =
      List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec");

  /** Seconds to wait from a Retry-After value at Unix time {@code now}; null when absent or unusable (RETRY-5). */
  static Double retryAfterSeconds(String value, double now) {
    if (value == null) {
      return null;
    }
    String v = value.strip();
    if (v.isEmpty()) {
      return null;
    }
    if (SECONDS.matcher(v).matches()) {
      double d = Double.parseDouble(v);
      return Double.isFinite(d) ? d : null;
    }
    Long epoch = httpDate(v);
    return epoch == null ? null : Math.max(0.0, epoch - now);
  }

  private static Long httpDate(String v) {
    Matcher m = IMF.matcher(v);
    if (m.matches()) {
      return epoch(m.group(3), m.group(2), m.group(1), m.group(4), m.group(5), m.group(6));
    }
    m = RFC850.matcher(v);
    if (m.matches()) {
      int yy = Integer.parseInt(m.group(3));
      // RFC 9110: a two-digit year more than 50 years ahead is in the past century.
      String year = Integer.toString(yy < 70 ? 2000 + yy : 1900 + yy);
      return epoch(year, m.group(2), m.group(1), m.group(4), m.group(5), m.group(6));
    }
    m = ASCTIME.matcher(v);
    if (m.matches()) {
      return epoch(m.group(6), m.group(1), m.group(2).strip(), m.group(3), m.group(4), m.group(5));
    }
    return null;
  }

  private static Long epoch(String year, String month, String day, String h, String min, String s) {
    int mon = MONTHS.indexOf(month.toLowerCase(Locale.ROOT));
    if (mon < 0) {
      return null;
    }
    try {
      return LocalDateTime.of(Integer.parseInt(year), mon + 1, Integer.parseInt(day), Integer.parseInt(h),
          Integer.parseInt(min), Integer.parseInt(s)).toEpochSecond(ZoneOffset.UTC);
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }
}
