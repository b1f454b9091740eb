package io.github.easclient.eas;

import java.util.List;

/** The server sent an error inside the stream (an OpenAI-style {@code error} event or member). Spec kind {@code StreamEventError}. */
public final class StreamEventException extends StreamException {
  private static final long serialVersionUID = 1L;

  StreamEventException(String message, String url, int attempts, int status, long bytesReceived, List<SseEvent> events,
      Throwable cause) {
    super(message, url, attempts, status, bytesReceived, events, cause);
  }

  @Override
  public String kind() {
    return "StreamEventError";
  }
}
