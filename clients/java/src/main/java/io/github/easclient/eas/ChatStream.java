package io.github.easclient.eas;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A streamed chat (STREAM-12): an iterator of text deltas, read from the events of an
 * {@link EasStream}. After the last delta, {@link #usage()} and {@link #finishReason()} hold what the
 * server sent. {@code data: [DONE]} ends it (and closes the stream); an error the service sends in the
 * stream is a {@link StreamEventException}, a stream cut short before {@code [DONE]} a
 * {@link StreamIncompleteException}.
 *
 * <pre>{@code
 * try (ChatStream chat = client.chatStream(ChatRequest.builder().message("user", "Hi").build())) {
 *     chat.forEachRemaining(System.out::print);
 *     System.out.println(chat.usage());
 * }
 * }</pre>
 */
public final class ChatStream implements Iterator<String>, AutoCloseable {
  private final EasStream stream;
  private final Chat.Reader reader = new Chat.Reader();
  private final ArrayDeque<String> ready = new ArrayDeque<>();
  private boolean ended;

  ChatStream(EasStream stream) {
    this.stream = stream;
  }

  /** Waits for the next text delta; false once the chat has ended. Throws a {@link StreamException} on failure. */
  @Override
  public boolean hasNext() {
    while (ready.isEmpty() && !ended) {
      if (reader.done) {
        ended = true;
        stream.close();
        break;
      }
      SseEvent e = stream.nextUncounted();
      if (e == null) {
        ended = true;
        try {
          reader.end();
        } catch (Chat.Failure f) {
          throw stream.fail(f.kind, f.getMessage());
        }
        break;
      }
      try {
        reader.event(e, ready::add);
      } catch (Chat.Failure f) {
        // STREAM-12: the error carries the events before this one; this one is not counted.
        ended = true;
        throw stream.fail(f.kind, f.getMessage());
      }
      stream.counted(e);
    }
    return !ready.isEmpty();
  }

  /** The next text delta. */
  @Override
  public String next() {
    if (!hasNext()) {
      throw new NoSuchElementException("the chat has ended");
    }
    return ready.poll();
  }

  /** Reads the remaining deltas and returns the whole text. */
  public String text() {
    StringBuilder b = new StringBuilder();
    forEachRemaining(b::append);
    return b.toString();
  }

  /** The last {@code usage} object the server sent (integers as Long), or null. */
  public Map<String, Object> usage() {
    return reader.usage;
  }

  /** The finish reason of choice 0 ({@code stop}, {@code length}, ...), or null. */
  public String finishReason() {
    return reader.finishReason;
  }

  /** The underlying stream (status, headers, attempts). */
  public EasStream stream() {
    return stream;
  }

  /** Closes the stream at once (its connection is dropped). Idempotent. */
  @Override
  public void close() {
    stream.close();
  }
}
