package io.github.easclient.eas;

import java.util.List;

/** A line or an event's data over 1 MiB, or invalid UTF-8 in a line; read bytes to take such a body as it is. Spec kind {@code StreamProtocolError}. */
public final class StreamProtocolException extends StreamException {
  private static final long serialVersionUID = 1L;

  StreamProtocolException(String message, String url, int attempts, int status, long bytesReceived, List<SseEvent> events,
      Throwable cause) {
    super(message, url, attempts, status, bytesReceived, events, cause);
  }

  @Override
  public String kind() {
    return "StreamProtocolError";
  }
}
