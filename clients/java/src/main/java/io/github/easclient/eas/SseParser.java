package io.github.easclient.eas;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * An incremental event-stream parser (STREAM-8, the WHATWG HTML "event stream interpretation") over the
 * lines of {@link LineDecoder}. Feed it the body's bytes in any chunks, then call {@link #end}; events
 * come out as soon as their dispatching blank line arrived. Pure: no I/O, no clock.
 *
 * <pre>{@code
 * SseParser p = new SseParser(Defaults.STREAM_MAX_LINE_BYTES);
 * p.feed(bytes, 0, bytes.length, events::add);
 * p.end(events::add);          // LineDecoder.Failure if the body stopped in the middle of an event
 * }</pre>
 */
final class SseParser {
  private final LineDecoder lines;
  private final int maxDataBytes;
  private final StringBuilder data = new StringBuilder();
  private boolean hasData;
  private String eventType = "";
  private String lastId = "";
  private Long retry;
  private Consumer<? super SseEvent> sink;
  private final Consumer<String> onLine = this::line;

  SseParser(int maxLineBytes) {
    this.lines = new LineDecoder(maxLineBytes);
    this.maxDataBytes = maxLineBytes;
  }

  /** Feeds one network chunk; each event it completes goes to {@code out}. */
  void feed(byte[] b, int off, int len, Consumer<? super SseEvent> out) {
    sink = out;
    try {
      lines.feed(b, off, len, onLine);
    } finally {
      sink = null;
    }
  }

  /** The body ended: fails if it ended in the middle of an event (an incomplete event is never delivered). */
  void end() {
    String last = lines.end();
    if (last != null || hasData || !eventType.isEmpty()) {
      throw new LineDecoder.Failure("the stream ended in the middle of an event (no blank line after its last "
          + "field): the server or a proxy cut the answer short", true);
    }
  }

  private void line(String line) {
    int n = line.length();
    if (n == 0) {
      dispatch();
      return;
    }
    int colon = line.indexOf(':');
    if (colon == 0) {
      return;
    }
    String value;
    int nameLen;
    if (colon < 0) {
      nameLen = n;
      value = "";
    } else {
      nameLen = colon;
      int v = colon + 1;
      if (v < n && line.charAt(v) == ' ') {
        v++;
      }
      value = line.substring(v);
    }
    if (nameLen == 4 && line.startsWith("data")) {
      data.append(value).append('\n');
      hasData = true;
      checkData();
    } else if (nameLen == 5 && line.startsWith("event")) {
      eventType = value;
    } else if (nameLen == 2 && line.startsWith("id")) {
      if (value.indexOf('\0') < 0) {
        lastId = value;
      }
    } else if (nameLen == 5 && line.startsWith("retry")) {
      retry(value);
    }
  }

  private void retry(String value) {
    if (value.isEmpty()) {
      return;
    }
    for (int k = 0; k < value.length(); k++) {
      char c = value.charAt(k);
      if (c < '0' || c > '9') {
        return;
      }
    }
    try {
      retry = Long.parseLong(value);
    } catch (NumberFormatException e) {
      // Digits only but beyond a long: no real reconnection time, ignored like any bad value.
    }
  }

  /** STREAM-8: the joined data of one event is bounded like a line, checked as it grows. */
  private void checkData() {
    long chars = data.length() - 1L;
    // UTF-8 takes 1 to 3 bytes per UTF-16 char, so the exact count is needed only between those bounds.
    if (chars * 3 <= maxDataBytes) {
      return;
    }
    long bytes = chars > maxDataBytes ? chars : data.substring(0, (int) chars).getBytes(StandardCharsets.UTF_8).length;
    if (bytes > maxDataBytes) {
      throw new LineDecoder.Failure("an event's data is longer than " + maxDataBytes
          + " bytes (the limit of one line or event); read the stream as bytes to take it as it is", false);
    }
  }

  private void dispatch() {
    if (!hasData) {
      eventType = "";
      return;
    }
    data.setLength(data.length() - 1);
    SseEvent e = new SseEvent(eventType.isEmpty() ? "message" : eventType, data.toString(), lastId, retry);
    data.setLength(0);
    hasData = false;
    eventType = "";
    sink.accept(e);
  }
}
