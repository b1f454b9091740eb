package io.github.easclient.eas;

import java.util.Arrays;
import java.util.List;

/**
 * Events were asked for and the 2xx answer is not {@code text/event-stream} (for example a JSON answer
 * from a service that ignored {@code "stream": true}). The body was read whole (within
 * {@code maxResponseBytes}) so the error can show it. Spec kind {@code StreamContentTypeError}.
 */
public final class StreamContentTypeException extends StreamException {
  private static final long serialVersionUID = 1L;

  private final String contentType;
  private final byte[] body;

  StreamContentTypeException(String message, String url, int attempts, int status, long bytesReceived,
      String contentType, byte[] body) {
    super(message, url, attempts, status, bytesReceived, List.of(), null);
    this.contentType = contentType;
    this.body = body;
  }

  /** The answer's Content-Type header, or null when it had none. */
  public String contentType() {
    return contentType;
  }

  /** The first 512 bytes of the body, with the token masked (a copy). */
  public byte[] body() {
    return Arrays.copyOf(body, body.length);
  }

  @Override
  public String kind() {
    return "StreamContentTypeError";
  }
}
