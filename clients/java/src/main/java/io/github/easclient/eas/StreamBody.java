package io.github.easclient.eas;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The body of a 2xx stream as it arrives (STREAM-9): one network chunk is asked for at a time, so
 * memory holds at most two chunks whatever the stream's length, and a reader that stops reading stops
 * the socket reads. Its body value is itself, complete as soon as the headers arrived. Items are a
 * chunk ({@code List<ByteBuffer>}), {@link #END} or a {@link Broken} failure. Cancelling the
 * subscription ({@link #close}) makes the HTTP client drop the connection, never pool it (STREAM-6).
 */
final class StreamBody implements HttpResponse.BodySubscriber<Object> {
  static final Object END = new Object();

  /** The connection failed while the body arrived. */
  static final class Broken {
    final Throwable error;

    Broken(Throwable error) {
      this.error = error;
    }
  }

  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final AtomicLong received = new AtomicLong();
  private volatile Flow.Subscription subscription;
  private volatile boolean closed;
  /** Run after each item is queued (the async reader's drain); null for a blocking reader. */
  private volatile Runnable signal;

  @Override
  public CompletionStage<Object> getBody() {
    return CompletableFuture.completedFuture(this);
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (closed) {
      s.cancel();
    } else {
      s.request(1);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    long n = 0;
    for (ByteBuffer b : items) {
      n += b.remaining();
    }
    received.addAndGet(n);
    offer(items);
  }

  @Override
  public void onError(Throwable t) {
    offer(new Broken(t));
  }

  @Override
  public void onComplete() {
    offer(END);
  }

  private void offer(Object item) {
    queue.add(item);
    Runnable r = signal;
    if (r != null) {
      r.run();
    }
  }

  /** Body bytes read from the connection so far. */
  long received() {
    return received.get();
  }

  /** Turns on push delivery: {@code r} runs after every item from now on, and once now for those queued. */
  void onItem(Runnable r) {
    signal = r;
    r.run();
  }

  /** The next item, or null if none arrived within {@code nanos}. Asks for the next chunk after a chunk. */
  Object poll(long nanos) throws InterruptedException {
    Object item = nanos <= 0 ? queue.poll() : queue.poll(nanos, TimeUnit.NANOSECONDS);
    afterTake(item);
    return item;
  }

  /** The next item if one is queued, else null. */
  Object poll() {
    Object item = queue.poll();
    afterTake(item);
    return item;
  }

  private void afterTake(Object item) {
    if (item instanceof List && !closed) {
      Flow.Subscription s = subscription;
      if (s != null) {
        s.request(1);
      }
    }
  }

  /** Stops reading: the connection is closed, not returned to the pool. Idempotent. */
  void close() {
    closed = true;
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
    queue.clear();
    // Wakes a reader blocked in poll (close from another thread) instead of leaving it to its timeout.
    queue.add(END);
  }
}
