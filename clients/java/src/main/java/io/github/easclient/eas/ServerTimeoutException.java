package io.github.easclient.eas;

/** HTTP 408: the server gave up on the request. Spec kind {@code ServerTimeoutError}. */
public final class ServerTimeoutException extends EasStatusException {
  private static final long serialVersionUID = 1L;

  ServerTimeoutException(String message, String url, int attempts, int status, String requestId, byte[] body) {
    super(message, url, attempts, status, requestId, body);
  }

  @Override
  public String kind() {
    return "ServerTimeoutError";
  }
}
