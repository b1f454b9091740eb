package io.github.easclient.eas;

import java.util.Arrays;

/**
 * The service answered with a non-2xx status (after any retries). Subclasses name the common statuses.
 *
 * <pre>{@code
 * catch (EasStatusException e) { log(e.status(), e.requestId(), e.attempts()); }
 * }</pre>
 */
public class EasStatusException extends EasException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String requestId;
  private final byte[] body;
  /** Set once by the factory before the exception is raised; secret values masked. */
  transient java.util.Map<String, java.util.List<String>> headers = java.util.Map.of();

  EasStatusException(String message, String url, int attempts, int status, String requestId, byte[] body) {
    super(message, url, attempts, null);
    this.status = status;
    this.requestId = requestId;
    this.body = body;
  }

  /** The HTTP status code. */
  public int status() {
    return status;
  }

  /** The request id from X-Request-Id, X-Eas-Request-Id or X-Eas-Queueservice-Request-Id; null if none. */
  public String requestId() {
    return requestId;
  }

  /** The response headers, with secret values and the token masked (SEC-3). */
  public java.util.Map<String, java.util.List<String>> headers() {
    return headers;
  }

  /** The first 512 bytes of the response body, with the token masked (a copy). */
  public byte[] body() {
    return Arrays.copyOf(body, body.length);
  }

  @Override
  public String kind() {
    return "StatusError";
  }
}
