package io.github.easclient.eas;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeoutException;

/**
 * Reads a response body into memory within the attempt's time (TIMEOUT-1) and never more than
 * {@code cap} bytes (LIMIT-1): a declared
 * Content-Length above the cap fails before any body byte is read, otherwise reading stops as soon as
 * the total would pass it. Cancelling the subscription makes the HTTP client drop the connection.
 */
final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
  /** Thrown inside the body future; the call turns it into a ResponseTooLargeException. */
  static final class TooLarge extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooLarge(String message) {
      super(message, null, false, false);
    }
  }

  private final long cap;
  private final long declared;
  private final CompletableFuture<byte[]> result = new CompletableFuture<>();
  private final List<ByteBuffer> parts = new ArrayList<>();
  private long total;
  private volatile Flow.Subscription subscription;

  private CappedBody(long cap, long declared) {
    this.cap = cap;
    this.declared = declared;
  }

  /** A handler with this cap (below 1: none) whose body fails with a TimeoutException at {@code deadlineNanos}. */
  static Handler handler(long cap, long deadlineNanos, Watchdog watchdog) {
    return new Handler(cap < 1 ? Long.MAX_VALUE : cap, deadlineNanos, watchdog);
  }

  /**
   * One attempt's body handler and its time limit (TIMEOUT-1): {@link #arm} starts the watchdog when
   * the exchange is sent. At the deadline the body still arriving is ended and the exchange abandoned:
   * an async one by cancelling its future, a blocking one by interrupting the thread waiting in
   * {@code HttpClient.send} (which then cancels it). {@link #disarm} once the attempt has ended.
   */
  static final class Handler implements HttpResponse.BodyHandler<byte[]>, Watchdog.Timed {
    private final long cap;
    /** When the attempt's time is up ({@link System#nanoTime()}). */
    final long deadlineNanos;
    private final Watchdog watchdog;
    private volatile CappedBody body;
    private volatile java.util.concurrent.Future<?> exchange;
    private Thread waiter;
    private volatile boolean expired;
    private boolean interrupted;
    private boolean done;

    @Override
    public long deadlineNanos() {
      return deadlineNanos;
    }

    Handler(long cap, long deadlineNanos, Watchdog watchdog) {
      this.cap = cap;
      this.deadlineNanos = deadlineNanos;
      this.watchdog = watchdog;
    }

    @Override
    public HttpResponse.BodySubscriber<byte[]> apply(HttpResponse.ResponseInfo info) {
      CappedBody b = new CappedBody(cap, info.headers().firstValueAsLong("Content-Length").orElse(-1));
      body = b;
      if (expired) {
        b.expire();
      }
      return b;
    }

    /** An async exchange is on its way: the watchdog now bounds it. */
    void arm(java.util.concurrent.Future<?> sent) {
      exchange = sent;
      watchdog.arm(this);
      if (isDone()) {
        // disarm() ran before arming (a very fast answer) and could not see this attempt.
        watchdog.disarm(this);
      }
    }

    /** The calling thread is about to wait in {@code HttpClient.send}: the watchdog now bounds it. */
    synchronized void armBlocking(Thread caller) {
      waiter = caller;
      watchdog.arm(this);
    }

    private synchronized boolean isDone() {
      return done;
    }

    /** The attempt's time is up: the answer is abandoned wherever it is (the connection is closed). */
    @Override
    public synchronized void expire() {
      if (done) {
        return;
      }
      expired = true;
      CappedBody b = body;
      if (b != null) {
        b.expire();
      }
      java.util.concurrent.Future<?> f = exchange;
      if (f != null) {
        f.cancel(true);
      }
      if (waiter != null) {
        interrupted = true;
        waiter.interrupt();
      }
    }

    /** True once the watchdog ended the attempt: whatever failure followed is a timeout. */
    boolean expired() {
      return expired;
    }

    /**
     * The attempt has ended: no expiry after this. Returns true when the watchdog interrupted the
     * blocking caller; the caller then clears its interrupt flag, which was the watchdog's, not a user's.
     */
    boolean disarm() {
      boolean ours;
      synchronized (this) {
        done = true;
        ours = interrupted;
      }
      watchdog.disarm(this);
      return ours;
    }
  }

  /** The attempt's time is up while the body is still arriving. */
  void expire() {
    if (!result.isDone()) {
      Flow.Subscription s = subscription;
      if (s != null) {
        s.cancel();
      }
      result.completeExceptionally(new TimeoutException("the response body did not arrive within the timeout"));
    }
  }

  @Override
  public CompletionStage<byte[]> getBody() {
    return result;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (result.isDone()) {
      s.cancel();
      return;
    }
    if (declared > cap) {
      s.cancel();
      result.completeExceptionally(new TooLarge("the response declares " + declared + " bytes"));
      return;
    }
    s.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    if (result.isDone()) {
      return;
    }
    for (ByteBuffer b : items) {
      total += b.remaining();
      parts.add(b);
    }
    if (total > cap) {
      subscription.cancel();
      parts.clear();
      result.completeExceptionally(new TooLarge("the response passed " + cap + " bytes"));
    }
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    if (result.isDone()) {
      return;
    }
    byte[] out = new byte[(int) total];
    int pos = 0;
    for (ByteBuffer b : parts) {
      int n = b.remaining();
      b.get(out, pos, n);
      pos += n;
    }
    result.complete(out);
  }
}
