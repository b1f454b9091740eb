package io.github.easclient.eas;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The parts of an attempt loop that {@link Call} ({@code predict}) and {@link StreamCall} (streams)
 * share word for word: the direct-mode instance pick and its bookkeeping (DISC-5), the deadline's cap on
 * one attempt (RETRY-6), and the backoff wait, slept in the blocking form and scheduled in the async
 * one. What an answer becomes stays with each caller.
 */
final class Attempts {
  private Attempts() {}

  /** Where an attempt goes: the service origin, or a direct-mode instance and its key. */
  record Target(String origin, String instanceKey) {}

  /** How an async attempt loop sends to a picked target. */
  interface Sender {
    void send(String origin, String instanceKey, boolean resend);
  }

  /** After attempt {@code n}: return {@code value}, raise, resend (CONN-1) or retry after {@code delay} s. */
  static final class Step<R> {
    final int n;
    R value;
    EasException error;
    boolean resend;
    double delay;

    Step(int n) {
      this.n = n;
    }
  }

  /** One blocking attempt: sent in the caller's thread to {@code target}, its outcome decided. */
  interface Blocking<R> {
    Step<R> attempt(Target target, boolean resend);
  }

  /**
   * The blocking form's loop: picks a target (a CONN-1 resend keeps the last one), runs one attempt,
   * and returns, raises, resends or sleeps the backoff as the attempt's step says. {@code lastInstance}
   * is the direct-mode instance the next pick avoids.
   */
  static <R> R run(EasClient c, String url, Supplier<String> lastInstance, Blocking<R> one) {
    String exclude = null;
    boolean resend = false;
    Target target = null;
    while (true) {
      if (!resend) {
        target = pick(c, exclude);
      }
      Step<R> step = one.attempt(target, resend);
      exclude = lastInstance.get();
      resend = step.resend;
      if (step.resend) {
        continue;
      }
      if (step.error != null) {
        throw step.error;
      }
      if (step.value != null) {
        return step.value;
      }
      sleep(step.delay, url, step.n);
    }
  }

  /**
   * The async form's end of one attempt: resend (CONN-1), fail, complete or schedule the retry as the
   * step says. A value that can no longer be delivered (the call was cancelled) goes to {@code discard}.
   */
  static <R> void settle(Step<R> step, CompletableFuture<R> result, Runnable resend, Runnable retry,
      Consumer<R> discard) {
    if (result.isDone()) {
      if (step.value != null) {
        discard.accept(step.value);
      }
    } else if (step.resend) {
      resend.run();
    } else if (step.error != null) {
      result.completeExceptionally(step.error);
    } else if (step.value != null) {
      if (!result.complete(step.value)) {
        discard.accept(step.value);
      }
    } else {
      retry.run();
    }
  }

  /** The blocking form's target: an instance picked now (waiting for a refresh), or the service origin. */
  static Target pick(EasClient c, String exclude) {
    if (c.directState == null) {
      return new Target(c.endpoint.origin(), null);
    }
    Discovery.Instance inst = EasClient.join(c.directState.pick(exclude, true));
    return new Target("http://" + hostPort(inst), inst.key());
  }

  /**
   * Starts the async form: runs the first attempt and makes cancelling {@code result} cancel the step
   * then in flight ({@code inflight}: the instance pick or the send).
   */
  static <R> CompletableFuture<R> start(CompletableFuture<R> result, Supplier<CompletableFuture<?>> inflight,
      Runnable attempt) {
    result.whenComplete((v, e) -> {
      CompletableFuture<?> f = inflight.get();
      if (result.isCancelled() && f != null) {
        f.cancel(true);
      }
    });
    attempt.run();
    return result;
  }

  /**
   * The async form's next attempt: sends to the service origin, or picks an instance other than
   * {@code exclude} and sends there. The pick is handed to {@code inflight} before it can complete, so
   * cancelling {@code result} cancels whichever step is running.
   */
  static void pickThenSend(EasClient c, CompletableFuture<?> result, String exclude, boolean awaitRefresh,
      Consumer<CompletableFuture<?>> inflight, Sender sender) {
    if (result.isDone()) {
      return;
    }
    if (c.directState == null) {
      sender.send(c.endpoint.origin(), null, false);
      return;
    }
    CompletableFuture<Discovery.Instance> pick;
    try {
      pick = c.directState.pick(exclude, awaitRefresh);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return;
    }
    inflight.accept(pick);
    pick.whenComplete((inst, err) -> {
      if (err != null) {
        result.completeExceptionally(EasClient.unwrap(err));
      } else {
        sender.send("http://" + hostPort(inst), inst.key(), false);
      }
    });
  }

  static String hostPort(Discovery.Instance i) {
    return (i.ip.indexOf(':') >= 0 && !i.ip.startsWith("[") ? "[" + i.ip + "]" : i.ip) + ":" + i.port;
  }

  /**
   * DISC-5 after an attempt to a direct-mode instance: only a connection failure cools it off; any
   * HTTP answer ends its streak. Returns the instance to exclude from the next pick (or {@code last}).
   */
  static String noteInstance(EasClient c, String instanceKey, String kind, boolean answered, String last) {
    if (c.directState == null || instanceKey == null) {
      return last;
    }
    if ("connect".equals(kind) || "reset".equals(kind)) {
      c.directState.eject(instanceKey);
    } else if (answered) {
      c.directState.succeed(instanceKey);
    }
    return instanceKey;
  }

  /** One attempt's time limit under the call's deadline (RETRY-6), or the error when none is left. */
  static final class Limit {
    Duration timeout;
    boolean capped;
    EasException failure;
  }

  static Limit limit(RetryPolicy policy, Duration timeout, double elapsed, int n, String url) {
    Limit l = new Limit();
    l.timeout = timeout;
    if (policy.hasDeadline()) {
      double left = policy.deadline - elapsed;
      if (left <= 0) {
        l.failure = new DeadlineExceededException("deadline of " + policy.deadline + " s passed before attempt " + n,
            url, n - 1, null);
        return l;
      }
      if (left < timeout.toNanos() / 1e9) {
        l.timeout = Duration.ofNanos((long) (left * 1e9));
        l.capped = true;
      }
    }
    return l;
  }

  /** The final error, as a deadline error when the deadline (not the retry count) ended the call. */
  static EasException withDeadline(EasException e, Retry.Decision d, boolean capped, String kind, RetryPolicy policy,
      String url, int n) {
    if (d.deadlineHit || (capped && "timeout".equals(kind))) {
      return new DeadlineExceededException("deadline of " + policy.deadline + " s reached after " + n
          + " attempt(s); last error: " + e.getMessage(), url, n, e);
    }
    return e;
  }

  /** The blocking form's backoff: a plain sleep; an interrupt ends the call. */
  static void sleep(double seconds, String url, int n) {
    try {
      Thread.sleep((long) (seconds * 1000), (int) ((seconds * 1e9) % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EasReadException("interrupted while waiting to retry " + url, url, n, e);
    }
  }

  /** The async form's backoff: runs {@code attempt} on the executor after the delay, never sleeping a thread. */
  static void schedule(EasClient c, double delaySeconds, Runnable attempt, CompletableFuture<?> result) {
    long nanos = (long) (delaySeconds * 1e9);
    try {
      if (nanos <= 0) {
        c.executor.execute(attempt);
      } else {
        c.scheduler.schedule(() -> c.executor.execute(attempt), nanos, TimeUnit.NANOSECONDS);
      }
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException("EasClient was closed during the call", e));
    }
  }
}
