package io.github.easclient.eas;

/** The connection broke before a full response arrived. Spec kind {@code ReadError}. */
public final class EasReadException extends EasTransportException {
  private static final long serialVersionUID = 1L;

  EasReadException(String message, String url, int attempts, Throwable cause) {
    super(message, url, attempts, cause);
  }

  @Override
  public String kind() {
    return "ReadError";
  }

  @Override
  public String errorKind() {
    return "reset";
  }
}
