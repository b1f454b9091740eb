package io.github.easclient.eas;

import java.util.ArrayList;
import java.util.List;

/**
 * The delivered events a {@link StreamException} carries (STREAM-10): the most recent ones whose data
 * adds up to at most {@code maxBytes} UTF-8 bytes, always at least the last, so an error after
 * gigabytes of events holds a bounded tail (STREAM-9). Counts every delivered event. Pure. A ring of
 * arrays, as it sees every event of a stream.
 */
final class EventTail {
  private final long maxBytes;
  private SseEvent[] events = new SseEvent[64];
  private long[] sizes = new long[64];
  private int head;
  private int count;
  private long total;
  private long delivered;

  EventTail(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  void add(SseEvent e) {
    add(e, utf8Length(e.data()));
  }

  void add(SseEvent e, long dataBytes) {
    delivered++;
    if (count == events.length) {
      grow();
    }
    int at = (head + count) & (events.length - 1);
    events[at] = e;
    sizes[at] = dataBytes;
    count++;
    total += dataBytes;
    while (total > maxBytes && count > 1) {
      total -= sizes[head];
      events[head] = null;
      head = (head + 1) & (events.length - 1);
      count--;
    }
  }

  private void grow() {
    SseEvent[] e = new SseEvent[events.length * 2];
    long[] s = new long[events.length * 2];
    for (int k = 0; k < count; k++) {
      e[k] = events[(head + k) & (events.length - 1)];
      s[k] = sizes[(head + k) & (events.length - 1)];
    }
    events = e;
    sizes = s;
    head = 0;
  }

  List<SseEvent> kept() {
    List<SseEvent> out = new ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      out.add(events[(head + k) & (events.length - 1)]);
    }
    return List.copyOf(out);
  }

  long delivered() {
    return delivered;
  }

  static long utf8Length(String s) {
    int n = s.length();
    long bytes = n;
    for (int k = 0; k < n; k++) {
      char c = s.charAt(k);
      if (c >= 0x80) {
        // 2 bytes up to U+07FF, 3 above; a surrogate pair is 4 bytes for 2 chars.
        bytes += c < 0x800 || Character.isSurrogate(c) ? 1 : 2;
      }
    }
    return bytes;
  }
}
