package io.github.easclient.eas;

import java.util.function.Consumer;

/**
 * An incremental event-stream parser (STREAM-8, the WHATWG HTML "event stream interpretation") over the
 * lines of {@link LineDecoder}. Feed it the body's bytes in any chunks, then call {@link #end}; events
 * come out as soon as their dispatching blank line arrived. Pure: no I/O, no clock. Field names are
 * matched on the line's bytes and only values become strings, so a typical {@code data:} line costs one
 * UTF-8 check and one string.
 *
 * <pre>{@code
 * SseParser p = new SseParser(Defaults.STREAM_MAX_LINE_BYTES);
 * p.feed(bytes, 0, bytes.length, events::add);
 * p.end();          // LineDecoder.Failure if the body stopped in the middle of an event
 * }</pre>
 */
final class SseParser {
  private final LineDecoder lines;
  private final int maxDataBytes;
  /** The data buffer: the first data line alone, joined in {@link #more} only from the second on. */
  private String data;
  private StringBuilder more;
  private long dataBytes;
  private String eventType = "";
  private String lastId = "";
  private Long retry;
  /** The UTF-8 length of the last dispatched event's data, read by the sink as it gets the event. */
  long lastDataBytes;
  private Consumer<? super SseEvent> sink;
  private final LineDecoder.RawSink onLine = this::line;

  SseParser(int maxLineBytes) {
    this.lines = new LineDecoder(maxLineBytes);
    this.maxDataBytes = maxLineBytes;
  }

  /** Feeds one network chunk; each event it completes goes to {@code out}. */
  void feed(byte[] b, int off, int len, Consumer<? super SseEvent> out) {
    sink = out;
    try {
      lines.feedRaw(b, off, len, onLine);
    } finally {
      sink = null;
    }
  }

  /** The body ended: fails if it ended in the middle of an event (an incomplete event is never delivered). */
  void end() {
    String last = lines.end();
    if (last != null || data != null || !eventType.isEmpty()) {
      throw new LineDecoder.Failure("the stream ended in the middle of an event (no blank line after its last "
          + "field): the server or a proxy cut the answer short", true);
    }
  }

  private void line(byte[] b, int from, int to) {
    if (from == to) {
      dispatch();
      return;
    }
    lines.checkUtf8(b, from, to);
    if (b[from] == ':') {
      return;
    }
    int colon = from;
    while (colon < to && b[colon] != ':') {
      colon++;
    }
    int v = colon;
    if (colon < to) {
      v++;
      if (v < to && b[v] == ' ') {
        v++;
      }
    }
    int name = colon - from;
    if (name == 4 && b[from] == 'd' && b[from + 1] == 'a' && b[from + 2] == 't' && b[from + 3] == 'a') {
      data(b, v, to);
    } else if (name == 5 && is(b, from, "event")) {
      eventType = text(b, v, to);
    } else if (name == 2 && b[from] == 'i' && b[from + 1] == 'd') {
      if (indexOfNul(b, v, to) < 0) {
        lastId = text(b, v, to);
      }
    } else if (name == 5 && is(b, from, "retry")) {
      retry(b, v, to);
    }
  }

  private static boolean is(byte[] b, int from, String ascii) {
    for (int k = 0; k < ascii.length(); k++) {
      if (b[from + k] != ascii.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private static int indexOfNul(byte[] b, int from, int to) {
    for (int k = from; k < to; k++) {
      if (b[k] == 0) {
        return k;
      }
    }
    return -1;
  }

  private String text(byte[] b, int from, int to) {
    return lines.text(b, from, to);
  }

  private void data(byte[] b, int from, int to) {
    // STREAM-8: the joined data of one event is bounded like a line, checked as it grows.
    dataBytes += (data == null ? 0 : 1) + (to - from);
    if (dataBytes > maxDataBytes) {
      throw new LineDecoder.Failure("an event's data is longer than " + maxDataBytes
          + " bytes (the limit of one line or event); read the stream as bytes to take it as it is", false);
    }
    String value = text(b, from, to);
    if (data == null) {
      data = value;
      return;
    }
    if (more == null) {
      more = new StringBuilder();
    }
    if (more.length() == 0) {
      more.append(data);
    }
    more.append('\n').append(value);
  }

  private void retry(byte[] b, int from, int to) {
    if (from == to) {
      return;
    }
    long n = 0;
    for (int k = from; k < to; k++) {
      int c = b[k];
      if (c < '0' || c > '9') {
        return;
      }
      int d = c - '0';
      if (n > (Long.MAX_VALUE - d) / 10) {
        // Digits only but beyond a signed 64-bit integer: ignored like any bad value (STREAM-8).
        return;
      }
      n = n * 10 + d;
    }
    retry = n;
  }

  private void dispatch() {
    if (data == null) {
      eventType = "";
      return;
    }
    String d = more != null && more.length() > 0 ? more.toString() : data;
    SseEvent e = new SseEvent(eventType.isEmpty() ? "message" : eventType, d, lastId, retry);
    data = null;
    if (more != null) {
      more.setLength(0);
    }
    lastDataBytes = dataBytes;
    dataBytes = 0;
    eventType = "";
    sink.accept(e);
  }
}
