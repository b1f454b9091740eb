package io.github.easclient.eas;

import java.util.List;

/**
 * A 2xx stream failed after its response headers arrived (STREAM-10). Not a transport error: the HTTP
 * answer did arrive, and the call is never retried from here (generation is not idempotent; the caller
 * decides whether to call again). Spec kind {@code StreamError}.
 *
 * <pre>
 * StreamException                   status(), bytesReceived(), events() (the last) delivered before the error
 * ├── StreamReadException           the connection was reset or closed before the body's end
 * ├── StreamTimeoutException        no byte within timeout, or the deadline passed
 * ├── StreamIncompleteException     the body ended cleanly in the middle of an event
 * ├── StreamProtocolException       a line or event over 1 MiB, invalid UTF-8 in a line
 * ├── StreamContentTypeException    events were asked for and the answer is not text/event-stream
 * └── StreamEventException          the server sent an error inside the stream
 * </pre>
 *
 * <pre>{@code
 * try (EasStream s = client.stream(request)) {
 *     s.forEachRemaining(e -> show(e.data()));
 * } catch (StreamException e) {
 *     keep(e.events());                  // what arrived before the break; nothing was replayed
 * }
 * }</pre>
 */
public class StreamException extends EasException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final long bytesReceived;
  private transient List<SseEvent> events;
  private long eventsDelivered;

  StreamException(String message, String url, int attempts, int status, long bytesReceived, List<SseEvent> events,
      Throwable cause) {
    super(message, url, attempts, cause);
    this.status = status;
    this.bytesReceived = bytesReceived;
    this.events = events == null ? List.of() : List.copyOf(events);
  }

  /** The 2xx status of the stream's response. */
  public int status() {
    return status;
  }

  /** Body bytes read from the connection before the error. */
  public long bytesReceived() {
    return bytesReceived;
  }

  /** Set when the error is raised: the events delivered by then (the reader may hold parsed ones not yet given). */
  void events(EventTail delivered) {
    this.events = delivered.kept();
    this.eventsDelivered = delivered.delivered();
  }

  /** How many events were delivered to the caller before the error (0 when bytes or lines were read). */
  public long eventsDelivered() {
    return eventsDelivered;
  }

  /**
   * The last events delivered to the caller before the error, in order (empty when bytes or lines were
   * read): all of them while their data adds up to at most 1 MiB, else the most recent ones within
   * that, and always the last one; {@link #eventsDelivered()} counts them all.
   */
  public List<SseEvent> events() {
    return events == null ? List.of() : events;
  }

  @Override
  public String kind() {
    return "StreamError";
  }
}
