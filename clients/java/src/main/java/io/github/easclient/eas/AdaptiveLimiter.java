package io.github.easclient.eas;

/**
 * ADAPT-2…4: the in-flight limit of an adaptive batch as a pure state machine. Time, jitter and
 * outcomes are passed in, so vectors/adaptive_limit.json drives it exactly. Not thread-safe: the batch
 * holds its lock around every call.
 */
final class AdaptiveLimiter {
  /** Below this, extra latency is scheduling noise on a shared host, not a queue (ADAPT-3). */
  static final double MIN_QUEUE_DELAY_S = 0.005;
  /** The baseline creeps up this share per sample, so a service that got slower for good is re-learnt. */
  static final double BASELINE_DRIFT = 0.001;

  private final AdaptiveConcurrency cfg;
  private final double backoffBase;
  private final double backoffMax;
  private final double maxPause;
  private final double retryAfterCap;
  double limit;
  int inFlight;
  int epoch;
  private boolean slowStart = true;
  private double baseline = Double.NaN;
  private double pauseUntil;
  private int streak;

  AdaptiveLimiter(AdaptiveConcurrency cfg, double backoffBase, double backoffMax, double retryAfterCap) {
    this.cfg = cfg;
    this.backoffBase = backoffBase;
    this.backoffMax = backoffMax;
    this.maxPause = cfg.maxPause.getSeconds() + cfg.maxPause.getNano() / 1e9;
    this.retryAfterCap = retryAfterCap;
    this.limit = cfg.initial;
  }

  int allowed() {
    return Math.max(cfg.min, (int) Math.floor(limit + 1e-9));
  }

  double pauseUntil() {
    return pauseUntil;
  }

  /**
   * Asks for a slot at {@code now}: 0 when granted, a positive wait in seconds while paused, or -1 when
   * every allowed slot is taken (wait for a release).
   */
  double acquire(double now) {
    if (now < pauseUntil) {
      return pauseUntil - now;
    }
    if (inFlight >= allowed()) {
      return -1;
    }
    inFlight++;
    return 0;
  }

  void release() {
    inFlight = Math.max(0, inFlight - 1);
  }

  /**
   * One attempt's outcome: {@code status} (0 for none) or {@code errorKind}, its latency, the epoch read
   * when it was sent, a jitter draw in [0, 1) and the parsed Retry-After seconds (null when absent).
   */
  void observe(int status, String errorKind, double latency, int epochSent, double now, double rand,
      Double retryAfter) {
    if (errorKind == null && status >= 200 && status <= 299) {
      if (congested(latency)) {
        cut(epochSent);
      } else {
        streak = 0;
        if (epochSent == epoch && 2 * inFlight >= allowed()) {
          limit = Math.min(cfg.max, limit + (slowStart ? 1.0 : 1.0 / limit));
        }
      }
      return;
    }
    if ((status == 429 || status == 450 || status == 503) && retryAfter != null) {
      pauseUntil = Math.max(pauseUntil, now + Math.min(Math.max(0.0, retryAfter), retryAfterCap));
    }
    boolean signal = errorKind == null ? status == 429 || status == 450 || status == 408 || status == 503
        || status == 504 : "timeout".equals(errorKind);
    if (!signal) {
      return;
    }
    boolean current = epochSent == epoch;
    boolean atMin = allowed() <= cfg.min;
    cut(epochSent);
    if (current && atMin) {
      // Even one call at a time is refused: wait, with growing pauses, before the next.
      streak++;
      // Capped at maxPause too: a batch sharing the service with others would otherwise wait up to
      // backoffMax while they take the slots it left, and meet a full queue again.
      double cap = Math.min(Math.min(maxPause, backoffMax), backoffBase * Math.pow(2, Math.min(streak - 1, 62)));
      pauseUntil = Math.max(pauseUntil, now + rand * cap);
    }
  }

  private boolean congested(double latency) {
    double base = baseline;
    baseline = Double.isNaN(base) ? latency : Math.min(latency, base * (1.0 + BASELINE_DRIFT));
    Double tol = cfg.latencyTolerance;
    if (tol == null || Double.isNaN(base)) {
      return false;
    }
    return latency > tol * base && latency - base >= MIN_QUEUE_DELAY_S;
  }

  private void cut(int epochSent) {
    if (epochSent != epoch) {
      return; // sent before the last cut: one cut per round trip
    }
    limit = Math.max(cfg.min, limit * cfg.backoff);
    epoch++;
    slowStart = false;
  }
}
