package io.github.easclient.eas;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The delivered events a {@link StreamException} carries (STREAM-10): the most recent ones whose data
 * adds up to at most {@code maxBytes} UTF-8 bytes, always at least the last, so an error after
 * gigabytes of events holds a bounded tail (STREAM-9). Counts every delivered event. Pure.
 */
final class EventTail {
  private final long maxBytes;
  private final ArrayDeque<SseEvent> kept = new ArrayDeque<>();
  private final ArrayDeque<Long> sizes = new ArrayDeque<>();
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
    kept.addLast(e);
    sizes.addLast(dataBytes);
    total += dataBytes;
    while (total > maxBytes && kept.size() > 1) {
      kept.removeFirst();
      total -= sizes.removeFirst();
    }
  }

  List<SseEvent> kept() {
    return List.copyOf(kept);
  }

  long delivered() {
    return delivered;
  }

  static long utf8Length(String s) {
    long n = s.length();
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      if (c >= 0x80) {
        // 2 bytes up to U+07FF, 3 above; a surrogate pair is 4 bytes for 2 chars.
        n += c < 0x800 ? 1 : Character.isSurrogate(c) ? 1 : 2;
      }
    }
    return n;
  }
}
