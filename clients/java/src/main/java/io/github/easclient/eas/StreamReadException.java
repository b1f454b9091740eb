package io.github.easclient.eas;

import java.util.List;

/** The connection was reset, or closed before the body's end (a chunked body without its last chunk, fewer bytes than Content-Length). Spec kind {@code StreamReadError}. */
public final class StreamReadException extends StreamException {
  private static final long serialVersionUID = 1L;

  StreamReadException(String message, String url, int attempts, int status, long bytesReceived, List<SseEvent> events,
      Throwable cause) {
    super(message, url, attempts, status, bytesReceived, events, cause);
  }

  @Override
  public String kind() {
    return "StreamReadError";
  }
}
