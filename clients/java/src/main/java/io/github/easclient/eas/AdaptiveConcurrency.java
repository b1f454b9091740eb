package io.github.easclient.eas;

import java.time.Duration;

/**
 * Adaptive concurrency for a batch (protocol §14, ADAPT-1): the number of calls in flight grows while
 * the service answers and is cut in half on 450/429/503/504/408 or timeouts (AIMD), and items refused
 * with 450/429 are put back instead of failing. Immutable; build with {@link #builder()} or take the
 * defaults with {@link #auto()} (the spec's {@code concurrency="auto"}).
 *
 * <pre>{@code
 * List<EasResult> all = client.predictMany(inputs, AdaptiveConcurrency.auto());
 * AdaptiveConcurrency tuned = AdaptiveConcurrency.builder().min(2).max(32).maxPause(Duration.ofMillis(500)).build();
 * }</pre>
 */
public final class AdaptiveConcurrency {
  /** Least calls in flight (default 1). */
  public final int min;
  /** Most calls in flight (default 64: EAS's default instance queue; more from one batch only queues). */
  public final int max;
  /** The starting limit (default min(max, max(min, 4))). */
  public final int initial;
  /** The factor a congestion signal multiplies the limit by, in (0, 1) (default 0.5). */
  public final double backoff;
  /** A success slower than this many times the fastest recent latency is congestion; null (default): off. */
  public final Double latencyTolerance;
  /**
   * The longest pause after a refusal at {@code min} (ADAPT-4, default 250 ms); the client's
   * {@code backoffMax} caps it too. Short, so a batch sharing a service with others is not starved while
   * they take the slots it left.
   */
  public final Duration maxPause;

  /** ADAPT-7's {@code max_pause}: 0.25 s. */
  static final Duration DEFAULT_MAX_PAUSE = Duration.ofMillis(250);

  private static final AdaptiveConcurrency AUTO = builder().build();

  private AdaptiveConcurrency(Builder b) {
    this.min = b.min;
    this.max = b.max;
    this.initial = b.initial == null ? Math.min(max, Math.max(min, 4)) : b.initial;
    this.backoff = b.backoff;
    this.latencyTolerance = b.latencyTolerance;
    this.maxPause = b.maxPause;
  }

  /** The defaults: min 1, max 64, initial 4, backoff 0.5, no latency signal, max pause 250 ms (ADAPT-7). */
  public static AdaptiveConcurrency auto() {
    return AUTO;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String toString() {
    return "AdaptiveConcurrency{min=" + min + ", max=" + max + ", initial=" + initial + ", backoff=" + backoff
        + ", latencyTolerance=" + latencyTolerance + ", maxPause=" + maxPause + "}";
  }

  /** Unset fields keep their defaults; {@link #build()} checks them all. */
  public static final class Builder {
    private int min = 1;
    private int max = 64;
    private Integer initial;
    private double backoff = 0.5;
    private Double latencyTolerance;
    private Duration maxPause = DEFAULT_MAX_PAUSE;

    private Builder() {}

    public Builder min(int min) {
      this.min = min;
      return this;
    }

    public Builder max(int max) {
      this.max = max;
      return this;
    }

    /** The starting limit, between min and max; null for the default. */
    public Builder initial(Integer initial) {
      this.initial = initial;
      return this;
    }

    public Builder backoff(double backoff) {
      this.backoff = backoff;
      return this;
    }

    /** A number &gt; 1 turns the latency signal on; null (the default) leaves it off. */
    public Builder latencyTolerance(Double tolerance) {
      this.latencyTolerance = tolerance;
      return this;
    }

    /**
     * The cap of the pauses after refusals at {@code min} (ADAPT-4), above zero; null for the default
     * (250 ms). Larger values probe an overloaded service less often, at the cost of a fair share when
     * several batches share it.
     */
    public Builder maxPause(Duration maxPause) {
      this.maxPause = maxPause == null ? DEFAULT_MAX_PAUSE : maxPause;
      return this;
    }

    /** Throws {@link EasConfigException} naming the fix for any value out of range (ADAPT-1). */
    public AdaptiveConcurrency build() {
      if (min < 1) {
        throw new EasConfigException("adaptive concurrency: min must be an integer >= 1, got " + min);
      }
      if (max < 1) {
        throw new EasConfigException("adaptive concurrency: max must be an integer >= 1, got " + max);
      }
      if (max < min) {
        throw new EasConfigException("adaptive concurrency: max (" + max + ") is below min (" + min
            + "); raise max or lower min");
      }
      if (initial != null && (initial < min || initial > max)) {
        throw new EasConfigException("adaptive concurrency: initial must be an integer between min (" + min
            + ") and max (" + max + "), got " + initial + "; or leave it unset for the default");
      }
      if (!(backoff > 0 && backoff < 1)) {
        throw new EasConfigException("adaptive concurrency: backoff must be a number in (0, 1), got " + backoff
            + " (0.5 halves the limit on each congestion signal)");
      }
      if (latencyTolerance != null && !(latencyTolerance > 1 && Double.isFinite(latencyTolerance))) {
        throw new EasConfigException("adaptive concurrency: latency_tolerance must be a number > 1, got "
            + latencyTolerance + "; pass e.g. latencyTolerance(2.0), or null for no latency signal");
      }
      if (maxPause.isZero() || maxPause.isNegative()) {
        throw new EasConfigException("adaptive concurrency: max_pause must be a number > 0, got " + maxPause
            + "; pass e.g. maxPause(Duration.ofMillis(250)), or leave it unset for the default");
      }
      return new AdaptiveConcurrency(this);
    }
  }
}
