package io.github.easclient.eas;

import java.util.List;

/** The body ended cleanly in the middle of an event: the incomplete event is not delivered. Spec kind {@code StreamIncompleteError}. */
public final class StreamIncompleteException extends StreamException {
  private static final long serialVersionUID = 1L;

  StreamIncompleteException(String message, String url, int attempts, int status, long bytesReceived, List<SseEvent> events,
      Throwable cause) {
    super(message, url, attempts, status, bytesReceived, events, cause);
  }

  @Override
  public String kind() {
    return "StreamIncompleteError";
  }
}
