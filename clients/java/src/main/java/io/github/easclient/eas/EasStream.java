package io.github.easclient.eas;

import java.net.http.HttpHeaders;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A streamed 2xx answer (protocol.md §13), open from the moment its headers arrived. It is itself an
 * iterator of Server-Sent Events; {@link #lines()} and {@link #bytes()} read the body another way. A
 * stream is read once, one way (another way is an {@link IllegalStateException}). Close it (try with
 * resources) to drop its connection early; a stream read to its end releases it by itself.
 *
 * <pre>{@code
 * try (EasStream s = client.stream(EasRequest.builder().json(Map.of("prompt", "hi")).build())) {
 *     while (s.hasNext()) {
 *         SseEvent e = s.next();
 *         if (e.data().equals("[DONE]")) break;
 *         System.out.print(e.data());
 *     }
 * } catch (StreamException e) {   // broke after the headers: e.events() arrived before; nothing is resent
 *     ...
 * }
 * }</pre>
 *
 * <p>{@code timeout} bounds each gap between body bytes, not the whole stream; {@code deadline}, when
 * set, bounds the whole call. The async form is {@link #forEachEvent} (and {@link #forEachLine},
 * {@link #forEachChunk}): the returned future completes at the end, and {@code cancel(true)} closes.
 */
public final class EasStream implements Iterator<SseEvent>, AutoCloseable {
  private final EasClient c;
  private final int status;
  private final HttpHeaders headers;
  private final int attempts;
  private final String url;
  private final String origin;
  private final StreamBody body;
  private final long timeoutNanos;
  /** {@link System#nanoTime()} at which the call's deadline passes, or null without one. */
  private final Long deadlineNanos;
  private final double deadlineSeconds;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile StreamReader reader;
  private final ArrayDeque<Object> ready = new ArrayDeque<>();
  /** The async reading, once one started. */
  private volatile StreamPush push;

  EasStream(EasClient c, int status, HttpHeaders headers, int attempts, String url, String origin, StreamBody body,
      long timeoutNanos, Long deadlineNanos, double deadlineSeconds) {
    this.c = c;
    this.status = status;
    this.headers = headers;
    this.attempts = attempts;
    this.url = url;
    this.origin = origin;
    this.body = body;
    this.timeoutNanos = timeoutNanos;
    this.deadlineNanos = deadlineNanos;
    this.deadlineSeconds = deadlineSeconds;
  }

  /** The 2xx status. */
  public int status() {
    return status;
  }

  /** All response headers (names are case-insensitive). */
  public java.util.Map<String, java.util.List<String>> headers() {
    return headers.map();
  }

  /** The first value of a header, or null. */
  public String header(String name) {
    return headers.firstValue(name).orElse(null);
  }

  /** The HTTP attempts made before the headers of this answer arrived (retries happen only before them). */
  public int attempts() {
    return attempts;
  }

  /** The service URL the stream came from. */
  public String url() {
    return url;
  }

  /** Body bytes read from the connection so far. */
  public long bytesReceived() {
    return body.received();
  }

  // ---- blocking reads -------------------------------------------------------------------------------

  /**
   * Waits for the next event; false at the end of the stream. Throws a {@link StreamException} when the
   * stream fails (the events delivered before are on it) and an {@link IllegalStateException} when the
   * stream is read another way.
   */
  @Override
  public boolean hasNext() {
    StreamReader r = reader;
    if (r == null || r.mode != StreamReader.Mode.EVENTS || push != null) {
      start(StreamReader.Mode.EVENTS, true);
    }
    return fill();
  }

  /** The next event (see {@link #hasNext}). */
  @Override
  public SseEvent next() {
    if (!hasNext()) {
      throw new NoSuchElementException("the stream has ended");
    }
    return (SseEvent) take();
  }

  /** The events as a one-shot {@code Iterable} for a for-each loop (this stream itself iterates them). */
  public Iterable<SseEvent> events() {
    return once(StreamReader.Mode.EVENTS);
  }

  /** The body as text lines (STREAM-7: CRLF, LF or CR ends a line; UTF-8; at most 1 MiB each), any content type. */
  public Iterable<String> lines() {
    return once(StreamReader.Mode.LINES);
  }

  /** The body's bytes as they arrive, unchecked and unchanged (chunk boundaries carry no meaning). */
  public Iterable<byte[]> bytes() {
    return once(StreamReader.Mode.BYTES);
  }

  private <T> Iterable<T> once(StreamReader.Mode mode) {
    start(mode, false);
    AtomicBoolean used = new AtomicBoolean();
    return () -> {
      if (!used.compareAndSet(false, true)) {
        throw new IllegalStateException("a stream is read once: this " + mode.name().toLowerCase(java.util.Locale.ROOT) + "() was iterated");
      }
      return new Iterator<T>() {
        @Override
        public boolean hasNext() {
          return fill();
        }

        @Override
        @SuppressWarnings("unchecked")
        public T next() {
          if (!fill()) {
            throw new NoSuchElementException("the stream has ended");
          }
          return (T) take();
        }
      };
    };
  }

  /**
   * Fixes how the stream is read. The iterator methods continue an events reading; {@code events()},
   * {@code lines()}, {@code bytes()} and the async forms each start one, once.
   */
  private synchronized void start(StreamReader.Mode mode, boolean continuing) {
    StreamReader r = reader;
    if (r == null) {
      reader = new StreamReader(this, mode);
      return;
    }
    if (!continuing || r.mode != mode || push != null) {
      throw new IllegalStateException("a stream is read once, one way: it is already read as "
          + r.mode.name().toLowerCase(java.util.Locale.ROOT) + (push != null ? " (async)" : ""));
    }
  }

  private Object take() {
    Object item = ready.poll();
    reader.delivered(item);
    return item;
  }

  /**
   * The next event for the chat helper, not yet counted as delivered: STREAM-12's errors carry the
   * events before the one that failed. {@link #counted} counts it once the helper took it. Null at the end.
   */
  SseEvent nextUncounted() {
    StreamReader r = reader;
    if (r == null || r.mode != StreamReader.Mode.EVENTS || push != null) {
      start(StreamReader.Mode.EVENTS, true);
    }
    return fill() ? (SseEvent) ready.poll() : null;
  }

  void counted(SseEvent e) {
    reader.delivered(e);
  }

  /** True once an item is ready; false at the end or after close; throws the stream's failure. */
  private boolean fill() {
    StreamReader r = reader;
    while (ready.isEmpty()) {
      if (closed.get()) {
        return false;
      }
      if (r.failure != null) {
        close();
        throw r.raise();
      }
      if (r.finished) {
        released();
        return false;
      }
      long wait = waitNanos();
      Object item;
      try {
        item = wait <= 0 ? null : body.poll(wait);
      } catch (InterruptedException e) {
        close();
        Thread.currentThread().interrupt();
        throw new CancellationException("interrupted while reading the stream from " + url);
      }
      if (closed.get()) {
        return false;
      }
      r.handle(item == null ? StreamReader.TIMED_OUT : item, ready::add);
    }
    return true;
  }

  /** STREAM-4/5: a read waits at most {@code timeout}, and never past the deadline. */
  long waitNanos() {
    long wait = timeoutNanos;
    if (deadlineNanos != null) {
      wait = Math.min(wait, deadlineNanos - System.nanoTime());
    }
    return wait;
  }

  /** When a wait that started at {@code since} runs out: {@code timeout} later, or at the deadline. */
  long dueNanos(long since) {
    long due = since + timeoutNanos;
    return deadlineNanos != null && deadlineNanos - due < 0 ? deadlineNanos : due;
  }

  boolean isClosed() {
    return closed.get();
  }

  java.util.concurrent.ScheduledExecutorService scheduler() {
    return c.scheduler;
  }

  /** The body was read to its end: the JDK pools the connection, so the CONN-1 count holds it again. */
  void released() {
    if (closed.compareAndSet(false, true)
        && !headers.firstValue("Connection").orElse("").equalsIgnoreCase("close")) {
      c.streamIdle.give(origin);
    }
  }

  // ---- async reads ----------------------------------------------------------------------------------

  /**
   * Reads the events without blocking a thread: {@code onEvent} runs one event at a time, in order (on
   * the HTTP client's threads; events that arrived before this call, on the calling thread). The
   * future completes at the end of the stream (normally also after {@link #close}), or with the
   * {@link StreamException} that ended it, or with what {@code onEvent} threw (the stream is then
   * closed). {@code cancel(true)} closes the stream.
   */
  public CompletableFuture<Void> forEachEvent(Consumer<? super SseEvent> onEvent) {
    return push(StreamReader.Mode.EVENTS, onEvent, null);
  }

  /** {@link #forEachEvent} for the body's text lines (STREAM-7). */
  public CompletableFuture<Void> forEachLine(Consumer<? super String> onLine) {
    return push(StreamReader.Mode.LINES, onLine, null);
  }

  /** {@link #forEachEvent} for the body's bytes as they arrive. */
  public CompletableFuture<Void> forEachChunk(Consumer<? super byte[]> onChunk) {
    return push(StreamReader.Mode.BYTES, onChunk, null);
  }

  /**
   * The events as a {@link Flow.Publisher} for one subscriber, with its demand as backpressure (no
   * chunk is read while demand is 0). {@code onError} gets a {@link StreamException}; cancelling the
   * subscription closes the stream. Subscribing is the stream's one reading.
   *
   * <pre>{@code
   * client.streamAsync(req).thenAccept(s -> s.eventPublisher().subscribe(mySubscriber));
   * }</pre>
   */
  public Flow.Publisher<SseEvent> eventPublisher() {
    return subscriber -> {
      if (subscriber == null) {
        throw new NullPointerException("the subscriber is null");
      }
      push(StreamReader.Mode.EVENTS, null, subscriber);
    };
  }

  private CompletableFuture<Void> push(StreamReader.Mode mode, Consumer<?> onItem, Flow.Subscriber<?> subscriber) {
    if (onItem == null && subscriber == null) {
      throw new NullPointerException("the callback is null");
    }
    StreamPush p;
    synchronized (this) {
      start(mode, false);
      p = new StreamPush(this, body, reader, onItem, subscriber);
      push = p;
    }
    p.start();
    return p.done;
  }

  // ---- both -----------------------------------------------------------------------------------------

  /**
   * Closes the stream at once without reading the rest: its connection is dropped, never reused
   * (STREAM-6). An async read in progress completes normally. Idempotent.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      body.close();
    }
    StreamPush p = push;
    if (p != null && !p.done.isDone()) {
      p.done.complete(null);
    }
  }

  @Override
  public String toString() {
    return "EasStream{url=" + url + ", status=" + status + ", attempts=" + attempts + "}";
  }

  /** A failure found above the events (the chat helper's, STREAM-12): raised with this stream's context; closes it. */
  StreamException fail(String kind, String message) {
    String msg = Redact.text(message + " (from " + url + ")", c.token());
    long n = bytesReceived();
    StreamException e;
    switch (kind) {
      case "StreamEventError":
        e = new StreamEventException(msg, url, attempts, status, n, java.util.List.of(), null);
        break;
      case "StreamIncompleteError":
        e = new StreamIncompleteException(msg, url, attempts, status, n, java.util.List.of(), null);
        break;
      default:
        e = new StreamProtocolException(msg, url, attempts, status, n, java.util.List.of(), null);
    }
    StreamReader r = reader;
    if (r != null) {
      r.failure = e;
      e = r.raise();
    }
    close();
    return e;
  }

  // What StreamReader needs to describe a failure.
  String token() {
    return c.token();
  }

  String serviceName() {
    return c.endpoint.service != null ? c.endpoint.service : url;
  }

  long maxBodyBytes() {
    return c.maxResponseBytes;
  }

  boolean deadlinePassed() {
    return deadlineNanos != null && System.nanoTime() - deadlineNanos >= 0;
  }

  double deadlineSeconds() {
    return deadlineSeconds;
  }

  long timeoutMillis() {
    return timeoutNanos / 1_000_000;
  }
}
