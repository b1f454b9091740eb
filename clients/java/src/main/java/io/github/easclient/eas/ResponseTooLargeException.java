package io.github.easclient.eas;

/** The answer was larger than {@code maxResponseBytes}; never retried. Spec kind {@code ResponseTooLargeError}. */
public final class ResponseTooLargeException extends EasTransportException {
  private static final long serialVersionUID = 1L;

  ResponseTooLargeException(String message, String url, int attempts, Throwable cause) {
    super(message, url, attempts, cause);
  }

  @Override
  public String kind() {
    return "ResponseTooLargeError";
  }

  @Override
  public String errorKind() {
    return "too_large";
  }
}
