package io.github.easclient.eas;

import java.util.List;

/** No body byte arrived within {@code timeout}, or the call's deadline passed while reading (the message says which). Spec kind {@code StreamTimeoutError}. */
public final class StreamTimeoutException extends StreamException {
  private static final long serialVersionUID = 1L;

  StreamTimeoutException(String message, String url, int attempts, int status, long bytesReceived, List<SseEvent> events,
      Throwable cause) {
    super(message, url, attempts, status, bytesReceived, events, cause);
  }

  @Override
  public String kind() {
    return "StreamTimeoutError";
  }
}
