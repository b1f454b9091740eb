package io.github.easclient.eas;

/** HTTP 504: the upstream did not answer in time. Spec kind {@code GatewayTimeoutError}. */
public final class GatewayTimeoutException extends ServerException {
  private static final long serialVersionUID = 1L;

  GatewayTimeoutException(String message, String url, int attempts, int status, String requestId, byte[] body) {
    super(message, url, attempts, status, requestId, body);
  }

  @Override
  public String kind() {
    return "GatewayTimeoutError";
  }
}
