package io.github.easclient.eas;

/**
 * The client's retry budget (protocol §14, BUDGET-1): retries are allowed up to {@code ratio} of the
 * calls' first attempts plus {@code minPerS} a second, so a failing service sees a bounded share of
 * extra traffic instead of a retry storm. Immutable; one per client, shared by all its calls and threads.
 *
 * <pre>{@code
 * EasClient.builder().endpoint(url).token(t)
 *     .retryBudget(new RetryBudget(0.2, 5))   // 20% of calls + 5 retries/s
 *     .build();
 * EasClient.builder().retryBudget(null)...    // no budget: retries follow maxRetries alone
 * }</pre>
 *
 * @param ratio retries allowed per first attempt, in [0, 1] (default 0.1)
 * @param minPerS retries allowed per second whatever the call count, finite and &gt; 0 (default 10);
 *     the bucket holds 10 s of it
 */
public record RetryBudget(double ratio, double minPerS) {
  /** 10% of calls + 10 retries a second (ADAPT-7). */
  public static final RetryBudget DEFAULT = new RetryBudget(0.1, 10.0);
  /** Seconds of {@code minPerS} the bucket holds (its capacity). */
  static final double WINDOW_S = 10.0;

  /** Checks both numbers; a bad one is an {@link EasConfigException} naming the range. */
  public RetryBudget {
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new EasConfigException("retry budget ratio must be a number in [0, 1], got " + ratio
          + "; pass e.g. new RetryBudget(0.1, 10), or retryBudget(null) for no budget");
    }
    if (!(Double.isFinite(minPerS) && minPerS > 0)) {
      throw new EasConfigException("retry budget min_per_s must be a finite number > 0, got " + minPerS
          + "; pass e.g. new RetryBudget(0.1, 10), or retryBudget(null) for no budget");
    }
  }

  /** The text BUDGET-2 appends to a refused call's message. */
  String exhaustedText() {
    return "retry budget exhausted (retries are limited to " + shortNumber(ratio * 100) + "% of calls + "
        + shortNumber(minPerS) + "/s; the service is failing most calls)";
  }

  private static String shortNumber(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}
