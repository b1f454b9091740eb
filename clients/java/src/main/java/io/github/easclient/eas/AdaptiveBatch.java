package io.github.easclient.eas;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A batch under an {@link AdaptiveLimiter} (ADAPT-5, ADAPT-6): items are dispatched when the limiter grants
 * a slot, every attempt is observed, items refused with 450/429 go back to the front of the queue without
 * spending their retries, and cancellation reports every unfinished item as cancelled. All state is
 * guarded by this object's lock; calls run on the client's engine, never under the lock.
 */
final class AdaptiveBatch implements Call.Hook {
  private final EasClient c;
  private final List<EasRequest> requests;
  private final boolean returnErrors;
  private final boolean awaitRefresh;
  private final AdaptiveLimiter limiter;
  private final EasResult[] out;
  /** Monotonic nanos of each item's first dispatch (when {@code sent}): its deadline counts from there. */
  private final long[] firstDispatch;
  private final boolean[] sent;
  /** The 450/429 error that put an item back, for the DeadlineExceeded it may end with. */
  private final EasException[] busy;
  /** Items put back, oldest (lowest index) first; they go before the items never sent. */
  private final PriorityQueue<Integer> putBack = new PriorityQueue<>();
  private final Map<Integer, CompletableFuture<EasResponse>> running = new HashMap<>();
  private final CompletableFuture<List<EasResult>> done = new CompletableFuture<>() {
    @Override
    public boolean cancel(boolean mayInterrupt) {
      return AdaptiveBatch.this.cancel();
    }
  };
  private int next;
  private int finished;
  private EasException firstError;
  private boolean stopped;
  private ScheduledFuture<?> wake;
  private double wakeAt = Double.POSITIVE_INFINITY;

  private AdaptiveBatch(EasClient c, List<EasRequest> requests, AdaptiveConcurrency cfg, boolean returnErrors,
      boolean awaitRefresh) {
    this.c = c;
    this.requests = requests;
    this.returnErrors = returnErrors;
    this.awaitRefresh = awaitRefresh;
    this.limiter = new AdaptiveLimiter(cfg, c.policy.backoffBase, c.policy.backoffMax, c.policy.retryAfterCap);
    this.out = new EasResult[requests.size()];
    this.firstDispatch = new long[requests.size()];
    this.sent = new boolean[requests.size()];
    this.busy = new EasException[requests.size()];
  }

  static AdaptiveBatch start(EasClient c, List<EasRequest> requests, AdaptiveConcurrency cfg, boolean returnErrors,
      boolean awaitRefresh) {
    if (cfg == null) {
      throw new EasConfigException("concurrency is null; pass AdaptiveConcurrency.auto() or an int >= 1");
    }
    if (requests == null) {
      throw new PayloadException("requests is null; pass a list");
    }
    for (int k = 0; k < requests.size(); k++) {
      if (requests.get(k) == null) {
        throw new PayloadException("request " + k + " is null");
      }
    }
    AdaptiveBatch b = new AdaptiveBatch(c, requests, cfg, returnErrors, awaitRefresh);
    b.pump();
    return b;
  }

  /** The blocking form: an interrupt stops the batch and returns every item's outcome (ADAPT-6). */
  static List<EasResult> blocking(EasClient c, List<EasRequest> requests, AdaptiveConcurrency cfg,
      boolean returnErrors) {
    AdaptiveBatch b = start(c, requests, cfg, returnErrors, true);
    try {
      return b.done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      b.cancel();
      return b.snapshot();
    } catch (ExecutionException e) {
      throw EasClient.unwrap(e.getCause());
    } catch (CancellationException e) {
      return b.snapshot();
    }
  }

  CompletableFuture<List<EasResult>> future() {
    return done;
  }

  @Override
  public synchronized int epoch() {
    return limiter.epoch;
  }

  @Override
  public void observe(int status, String errorKind, double latency, int epochSent, Double retryAfter) {
    double rand = c.jitter.getAsDouble();
    synchronized (this) {
      limiter.observe(status, errorKind, latency, epochSent, EasClient.monotonic(), rand, retryAfter);
    }
  }

  /** Dispatches every item the limiter allows now; arranges to be called again when it may allow more. */
  private void pump() {
    List<Runnable> sends = new ArrayList<>();
    synchronized (this) {
      while (!stopped && (returnErrors || firstError == null)) {
        Integer k = putBack.peek();
        if (k == null && next >= requests.size()) {
          break;
        }
        double now = EasClient.monotonic();
        if (k != null && pastDeadline(k, now)) {
          putBack.poll();
          finish(k, expired(k));
          continue;
        }
        double w = limiter.acquire(now);
        if (w > 0) {
          wakeIn(now, w);
          break;
        }
        if (w < 0) {
          break; // every slot taken: a finishing dispatch pumps again
        }
        int item = k != null ? putBack.poll() : next++;
        boolean first = !sent[item];
        if (first) {
          sent[item] = true;
          firstDispatch[item] = System.nanoTime();
        }
        Call call = new Call(c, requests.get(item), awaitRefresh).underBatch(this, firstDispatch[item], first);
        sends.add(() -> dispatch(item, call));
      }
      if (!stopped && (finished == requests.size()
          || (!returnErrors && firstError != null && running.isEmpty() && sends.isEmpty()))) {
        complete();
      }
    }
    sends.forEach(Runnable::run);
  }

  private void dispatch(int item, Call call) {
    CompletableFuture<EasResponse> f;
    try {
      f = call.start();
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    synchronized (this) {
      if (stopped) {
        f.cancel(true);
        limiter.release();
        return;
      }
      running.put(item, f);
    }
    f.whenComplete((resp, err) -> ended(item, call, resp, err));
  }

  private void ended(int item, Call call, EasResponse resp, Throwable err) {
    synchronized (this) {
      running.remove(item);
      limiter.release();
      if (stopped) {
        return; // cancelled: the snapshot already holds this item's outcome
      }
      if (err == null) {
        finish(item, EasResult.ok(resp));
      } else {
        RuntimeException e = EasClient.unwrap(err);
        EasException ee = e instanceof EasException ? (EasException) e
            : new EasReadException(String.valueOf(e.getMessage()), null, 0, e);
        if (call.putBack) {
          busy[item] = ee;
          if (pastDeadline(item, Math.max(EasClient.monotonic(), limiter.pauseUntil()))) {
            finish(item, expired(item));
          } else {
            putBack.add(item);
          }
        } else {
          finish(item, EasResult.failed(ee));
        }
      }
    }
    pump();
  }

  /** ADAPT-5: a busy item fails only once its deadline (from its first dispatch) would pass. */
  private boolean pastDeadline(int item, double at) {
    return c.policy.hasDeadline() && at >= EasClient.seconds(firstDispatch[item]) + c.policy.deadline;
  }

  private EasResult expired(int item) {
    EasException last = busy[item];
    return EasResult.failed(new DeadlineExceededException("deadline of " + c.policy.deadline + " s reached while the "
        + "service was busy; last error: " + last.getMessage(), last.url(), last.attempts(), last));
  }

  private void finish(int item, EasResult r) {
    out[item] = r;
    finished++;
    if (r.error() != null && firstError == null) {
      firstError = r.error();
    }
  }

  private void complete() {
    stopped = true;
    if (wake != null) {
      wake.cancel(false);
    }
    if (!returnErrors && firstError != null) {
      done.completeExceptionally(firstError);
    } else {
      done.complete(Arrays.asList(out.clone()));
    }
  }

  /**
   * Calls {@link #pump} after {@code w} seconds of pause, unless a wake-up still ahead of {@code now} comes
   * first. A wake-up whose time has passed does not count even if its task is not yet marked done: its
   * pump may be the one running now (it is handed to the executor before the task ends), and relying on
   * it would leave a paused batch with nothing to wake it.
   */
  private void wakeIn(double now, double w) {
    if (wake != null && !wake.isDone() && wakeAt > now && wakeAt <= now + w) {
      return;
    }
    if (wake != null) {
      wake.cancel(false);
    }
    wakeAt = now + w;
    try {
      wake = c.scheduler.schedule(() -> c.executor.execute(this::pump), (long) Math.ceil(w * 1e9), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      stopped = true;
      done.completeExceptionally(new IllegalStateException("EasClient was closed during the batch", e));
    }
  }

  /** ADAPT-6: stops at once; finished items keep their results, every other item is cancelled. */
  private boolean cancel() {
    List<CompletableFuture<EasResponse>> calls;
    List<EasResult> results;
    synchronized (this) {
      if (done.isDone()) {
        return false;
      }
      stopped = true;
      if (wake != null) {
        wake.cancel(false);
      }
      calls = new ArrayList<>(running.values());
      results = snapshot();
    }
    calls.forEach(f -> f.cancel(true));
    return done.completeExceptionally(new BatchCancelledException(results));
  }

  private synchronized List<EasResult> snapshot() {
    List<EasResult> rs = new ArrayList<>(out.length);
    for (EasResult r : out) {
      rs.add(r != null ? r : EasResult.cancelled(new CancellationException("the batch was cancelled")));
    }
    return rs;
  }
}
