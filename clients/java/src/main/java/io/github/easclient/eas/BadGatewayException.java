package io.github.easclient.eas;

/** HTTP 502: the gateway got no good answer upstream. Spec kind {@code BadGatewayError}. */
public final class BadGatewayException extends ServerException {
  private static final long serialVersionUID = 1L;

  BadGatewayException(String message, String url, int attempts, int status, String requestId, byte[] body) {
    super(message, url, attempts, status, requestId, body);
  }

  @Override
  public String kind() {
    return "BadGatewayError";
  }
}
