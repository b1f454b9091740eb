package io.github.easclient.eas;

/** No response arrived within the read timeout. Spec kind {@code ReadTimeoutError}. */
public final class EasReadTimeoutException extends EasTransportException {
  private static final long serialVersionUID = 1L;

  EasReadTimeoutException(String message, String url, int attempts, Throwable cause) {
    super(message, url, attempts, cause);
  }

  @Override
  public String kind() {
    return "ReadTimeoutError";
  }

  @Override
  public String errorKind() {
    return "timeout";
  }
}
