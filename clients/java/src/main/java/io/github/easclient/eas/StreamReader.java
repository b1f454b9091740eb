package io.github.easclient.eas;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Turns the items of a {@link StreamBody} into what the caller reads (bytes, lines or events) and the
 * failures into {@link StreamException}s (STREAM-7..10). Used by one reader at a time: the blocking
 * iterator's thread, or the async drain, which never runs twice at once.
 */
final class StreamReader {
  enum Mode { BYTES, LINES, EVENTS }

  /** Queued by the async reader's timer when the gap (or the deadline) ran out. */
  static final Object TIMED_OUT = new Object();

  private final EasStream s;
  final Mode mode;
  private final LineDecoder lines;
  private final SseParser events;
  /** Events were asked for and the answer is not an event stream: its body is read for the error. */
  private ByteArrayOutputStream wrongType;
  private final EventTail delivered = new EventTail(Defaults.STREAM_MAX_LINE_BYTES);
  private byte[] scratch = new byte[0];
  private Consumer<Object> out;
  private final Consumer<String> lineOut = x -> out.accept(x);
  private final Consumer<SseEvent> eventOut = this::parsed;
  /** The data sizes of events parsed and not yet delivered, in order (a ring: no boxing per event). */
  private long[] sizes = new long[16];
  private int sizeHead;
  private int sizeCount;
  /** The failure to raise once what came before it was delivered. */
  StreamException failure;
  boolean finished;

  StreamReader(EasStream s, Mode mode) {
    this.s = s;
    this.mode = mode;
    int max = Defaults.STREAM_MAX_LINE_BYTES;
    this.lines = mode == Mode.LINES ? new LineDecoder(max) : null;
    this.events = mode == Mode.EVENTS ? new SseParser(max) : null;
    if (mode == Mode.EVENTS && !isEventStream(s.header("Content-Type"))) {
      wrongType = new ByteArrayOutputStream();
    }
  }

  /** STREAM-8: the media type before any ';', spaces trimmed, any letter case. */
  static boolean isEventStream(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semi = contentType.indexOf(';');
    String media = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    return media.toLowerCase(Locale.ROOT).equals("text/event-stream");
  }

  /** The caller got this event: a later error carries it (STREAM-10). */
  void delivered(Object item) {
    if (mode == Mode.EVENTS) {
      long size = sizes[sizeHead];
      sizeHead = (sizeHead + 1) & (sizes.length - 1);
      sizeCount--;
      delivered.add((SseEvent) item, size);
    }
  }

  private void parsed(SseEvent e) {
    pushSize(events.lastDataBytes);
    out.accept(e);
  }

  private void pushSize(long size) {
    if (sizeCount == sizes.length) {
      long[] bigger = new long[sizes.length * 2];
      for (int k = 0; k < sizeCount; k++) {
        bigger[k] = sizes[(sizeHead + k) & (sizes.length - 1)];
      }
      sizes = bigger;
      sizeHead = 0;
    }
    sizes[(sizeHead + sizeCount) & (sizes.length - 1)] = size;
    sizeCount++;
  }

  /** The error to raise now, carrying the events delivered before it. */
  StreamException raise() {
    failure.events(delivered);
    return failure;
  }

  /** Handles one item of the body; what it completes goes to {@code sink}; a failure is kept in {@link #failure}. */
  @SuppressWarnings("unchecked")
  void handle(Object item, Consumer<Object> sink) {
    if (finished || failure != null) {
      return;
    }
    out = sink;
    try {
      if (item instanceof List) {
        for (ByteBuffer b : (List<ByteBuffer>) item) {
          chunk(b);
          if (finished || failure != null) {
            return;
          }
        }
      } else if (item == StreamBody.END) {
        end();
      } else if (item == TIMED_OUT) {
        timedOut();
      } else if (item instanceof StreamBody.Broken) {
        broken(((StreamBody.Broken) item).error);
      }
    } catch (LineDecoder.Failure f) {
      failure = f.incomplete ? new StreamIncompleteException(message(f.getMessage()), s.url(), s.attempts(),
          s.status(), s.bytesReceived(), List.of(), null)
          : new StreamProtocolException(message(f.getMessage()), s.url(), s.attempts(), s.status(),
              s.bytesReceived(), List.of(), null);
    } finally {
      out = null;
    }
  }

  private void chunk(ByteBuffer b) {
    int n = b.remaining();
    byte[] a;
    int off;
    if (b.hasArray()) {
      a = b.array();
      off = b.arrayOffset() + b.position();
    } else {
      if (scratch.length < n) {
        scratch = new byte[n];
      }
      b.duplicate().get(scratch, 0, n);
      a = scratch;
      off = 0;
    }
    if (wrongType != null) {
      collect(a, off, n);
    } else if (mode == Mode.BYTES) {
      out.accept(Arrays.copyOfRange(a, off, off + n));
    } else if (mode == Mode.LINES) {
      lines.feed(a, off, n, lineOut);
    } else {
      events.feed(a, off, n, eventOut);
    }
  }

  private void collect(byte[] a, int off, int n) {
    long cap = s.maxBodyBytes();
    int take = cap > 0 ? (int) Math.min(n, cap - wrongType.size()) : n;
    wrongType.write(a, off, take);
    if (take < n) {
      // LIMIT-1: past the cap nothing more is read; the error shows what was.
      wrongTypeError();
    }
  }

  private void end() {
    if (wrongType != null) {
      wrongTypeError();
      return;
    }
    if (mode == Mode.LINES) {
      String last = lines.end();
      if (last != null) {
        out.accept(last);
      }
    } else if (mode == Mode.EVENTS) {
      events.end();
    }
    finished = true;
  }

  private void wrongTypeError() {
    String ct = s.header("Content-Type");
    String token = s.token();
    byte[] body = Redact.bytes(wrongType.toByteArray(), token);
    String shown = new String(body, 0, Math.min(body.length, Errors.MESSAGE_EXCERPT), StandardCharsets.UTF_8);
    String msg = Redact.text("expected text/event-stream from service " + s.serviceName() + ", got "
        + (ct == null ? "(none)" : ct) + ": " + shown
        + "; the service answered without streaming (for an OpenAI-style service send \"stream\": true), or read "
        + "the stream as bytes or lines", token);
    failure = new StreamContentTypeException(msg, s.url(), s.attempts(), s.status(), s.bytesReceived(), ct,
        Arrays.copyOf(body, Math.min(body.length, Errors.BODY_EXCERPT)));
  }

  private void timedOut() {
    if (wrongType != null) {
      wrongTypeError();
      return;
    }
    String msg = s.deadlinePassed()
        ? "the deadline of " + s.deadlineSeconds() + " s passed while reading the stream from " + s.url()
            + "; raise deadline(...) for long generations"
        : "no data from " + s.url() + " for " + s.timeoutMillis() + " ms while reading the stream (timeout bounds "
            + "each gap between chunks); raise timeout(...) or check the service";
    failure = new StreamTimeoutException(msg, s.url(), s.attempts(), s.status(), s.bytesReceived(), List.of(), null);
  }

  private void broken(Throwable t) {
    if (wrongType != null) {
      wrongTypeError();
      return;
    }
    String why = Redact.text(t.getClass().getSimpleName() + ": " + t.getMessage(), s.token());
    failure = new StreamReadException("the stream from " + s.url() + " broke after " + s.bytesReceived()
        + " body bytes (" + why + "); nothing was retried, as the answer had started: call again to start over",
        s.url(), s.attempts(), s.status(), s.bytesReceived(), List.of(), t);
  }

  private String message(String why) {
    return Redact.text(why + " (from " + s.url() + ", after " + s.bytesReceived() + " body bytes)", s.token());
  }
}
