package io.github.easclient.eas;

/** HTTP 429: the service's rate limit was hit. Spec kind {@code RateLimitError}. */
public final class RateLimitException extends EasStatusException {
  private static final long serialVersionUID = 1L;

  RateLimitException(String message, String url, int attempts, int status, String requestId, byte[] body) {
    super(message, url, attempts, status, requestId, body);
  }

  @Override
  public String kind() {
    return "RateLimitError";
  }
}
