package io.github.easclient.eas;

/** No connection could be made (refused, DNS failure, connect timeout). Spec kind {@code ConnectError}. */
public final class EasConnectException extends EasTransportException {
  private static final long serialVersionUID = 1L;

  EasConnectException(String message, String url, int attempts, Throwable cause) {
    super(message, url, attempts, cause);
  }

  @Override
  public String kind() {
    return "ConnectError";
  }

  @Override
  public String errorKind() {
    return "connect";
  }
}
