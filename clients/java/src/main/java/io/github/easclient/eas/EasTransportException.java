package io.github.easclient.eas;

/** No HTTP answer: the subclasses say whether the connection failed, broke or timed out. */
public abstract class EasTransportException extends EasException {
  private static final long serialVersionUID = 1L;

  EasTransportException(String message, String url, int attempts, Throwable cause) {
    super(message, url, attempts, cause);
  }

  /** The retry kind of this error: {@code connect}, {@code reset} or {@code timeout} (spec RETRY-2). */
  public abstract String errorKind();
}
