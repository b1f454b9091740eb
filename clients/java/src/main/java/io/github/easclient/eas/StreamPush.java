package io.github.easclient.eas;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The async reading of a stream: items are pushed to a callback ({@code forEach*}, unbounded demand)
 * or to a {@link Flow.Subscriber} (its demand). One drain runs at a time, on whichever thread made
 * progress possible (a chunk arrived, demand grew, the gap timer fired). A chunk is taken from the
 * connection only when the items of the previous one were delivered and demand remains, so a slow
 * subscriber slows the socket reads instead of filling memory (STREAM-9). {@code timeout} counts only
 * while the reader waits for the network with demand; {@code deadline} always.
 */
final class StreamPush implements Flow.Subscription {
  private final EasStream s;
  private final StreamBody body;
  private final StreamReader r;
  private final Consumer<Object> onItem;
  private final Flow.Subscriber<Object> subscriber;
  final CompletableFuture<Void> done = new CompletableFuture<>();
  private final AtomicLong demand = new AtomicLong();
  private final AtomicInteger wip = new AtomicInteger();
  private final ArrayDeque<Object> ready = new ArrayDeque<>();
  private volatile long waitingSince = System.nanoTime();
  private volatile ScheduledFuture<?> timer;
  /** Set by the gap timer: the wait ran out (STREAM-4) or the deadline passed (STREAM-5). */
  private volatile boolean expired;

  @SuppressWarnings("unchecked")
  StreamPush(EasStream s, StreamBody body, StreamReader r, Consumer<?> onItem, Flow.Subscriber<?> subscriber) {
    this.s = s;
    this.body = body;
    this.r = r;
    this.onItem = (Consumer<Object>) onItem;
    this.subscriber = (Flow.Subscriber<Object>) subscriber;
  }

  void start() {
    done.whenComplete((v, e) -> {
      s.close();
      ScheduledFuture<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
      if (subscriber != null && e instanceof StreamException) {
        subscriber.onError(e);
      } else if (subscriber != null && e == null) {
        subscriber.onComplete();
      }
    });
    if (subscriber != null) {
      subscriber.onSubscribe(this);
    } else {
      demand.set(Long.MAX_VALUE);
    }
    armTimer(s.waitNanos());
    body.onItem(this::drain);
  }

  @Override
  public void request(long n) {
    if (n <= 0) {
      done.completeExceptionally(new IllegalArgumentException("Flow.Subscription.request(" + n + "): n must be > 0"));
      return;
    }
    if (demand.getAndAccumulate(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b) == 0) {
      waitingSince = System.nanoTime();
    }
    drain();
  }

  /** Cancels the subscription: the stream is closed, no further signal is sent. */
  @Override
  public void cancel() {
    done.cancel(false);
  }

  void drain() {
    if (wip.getAndIncrement() != 0) {
      return;
    }
    do {
      try {
        drainReady();
      } catch (RuntimeException | Error e) {
        // The caller's callback threw: the read ends with that, and the stream is closed.
        done.completeExceptionally(e);
      }
    } while (wip.decrementAndGet() != 0);
  }

  private void drainReady() {
    while (!done.isDone()) {
      if (expired && !s.isClosed() && !r.finished && r.failure == null) {
        // Items parsed but not yet asked for are not delivered: the error carries those that were.
        r.handle(StreamReader.TIMED_OUT, ready::add);
        done.completeExceptionally(r.raise());
        return;
      }
      if (s.isClosed()) {
        done.complete(null);
        return;
      }
      if (!ready.isEmpty()) {
        if (demand.get() == 0) {
          return;
        }
        Object x = ready.poll();
        r.delivered(x);
        if (demand.get() != Long.MAX_VALUE) {
          demand.decrementAndGet();
        }
        if (subscriber != null) {
          subscriber.onNext(x);
        } else {
          onItem.accept(x);
        }
        continue;
      }
      if (r.failure != null) {
        done.completeExceptionally(r.raise());
        return;
      }
      if (r.finished) {
        s.released();
        done.complete(null);
        return;
      }
      if (demand.get() == 0) {
        return;
      }
      Object item = body.poll();
      if (item == null) {
        return;
      }
      waitingSince = System.nanoTime();
      // With unbounded demand (forEach*, or a subscriber that asked for Long.MAX_VALUE) items go
      // straight from the parser to the caller; otherwise they wait in ready for demand.
      r.handle(item, demand.get() == Long.MAX_VALUE ? direct : ready::add);
    }
  }

  private final Consumer<Object> direct = this::deliverNow;

  private void deliverNow(Object x) {
    if (!s.isClosed()) {
      r.delivered(x);
      if (subscriber != null) {
        subscriber.onNext(x);
      } else {
        onItem.accept(x);
      }
    }
  }

  private void armTimer(long nanos) {
    try {
      timer = s.scheduler().schedule(this::checkGap, Math.max(nanos, 0), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      done.completeExceptionally(new IllegalStateException("EasClient was closed during the stream", e));
    }
  }

  /** STREAM-4/5: fires when the current wait would run out; a wait without demand is the caller's, not a gap. */
  private void checkGap() {
    if (done.isDone()) {
      return;
    }
    long now = System.nanoTime();
    if (demand.get() == 0 || !ready.isEmpty()) {
      waitingSince = now;
    }
    long due = s.dueNanos(waitingSince);
    if (due - now <= 0) {
      expired = true;
      drain();
    } else {
      armTimer(due - now);
    }
  }
}
