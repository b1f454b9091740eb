package io.github.easclient.eas;

/**
 * BUDGET-1's token bucket as a pure state machine: the time is passed in (seconds on a monotonic
 * clock), so the vectors drive it exactly. Thread-safe: one bucket serves all of a client's calls.
 */
final class BudgetBucket {
  /** Ten deposits of 0.1 sum to 0.9999999999999999 and must still pay for a retry. */
  private static final double EPS = 1e-9;

  final RetryBudget budget;
  private final double capacity;
  private double balance;
  private double t;
  private long denied;

  BudgetBucket(RetryBudget budget, double start) {
    this.budget = budget;
    this.capacity = Math.max(1.0, budget.minPerS() * RetryBudget.WINDOW_S);
    this.balance = capacity;
    this.t = start;
  }

  private void refill(double now) {
    if (now > t) {
      balance = Math.min(capacity, balance + budget.minPerS() * (now - t));
      t = now;
    }
  }

  /** A call's first attempt deposits {@code ratio} (BUDGET-3). */
  synchronized void firstAttempt(double now) {
    refill(now);
    balance = Math.min(capacity, balance + budget.ratio());
  }

  /** Asks for one retry; false (and one more denied) when the bucket cannot pay for it. */
  synchronized boolean tryRetry(double now) {
    refill(now);
    if (balance >= 1 - EPS) {
      balance = Math.max(0.0, balance - 1);
      return true;
    }
    denied++;
    return false;
  }

  synchronized double balance() {
    return balance;
  }

  synchronized long denied() {
    return denied;
  }
}
