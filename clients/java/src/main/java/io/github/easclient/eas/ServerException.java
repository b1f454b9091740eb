package io.github.easclient.eas;

/** A 5xx status without a more specific class. Spec kind {@code ServerError}. */
public class ServerException extends EasStatusException {
  private static final long serialVersionUID = 1L;

  ServerException(String message, String url, int attempts, int status, String requestId, byte[] body) {
    super(message, url, attempts, status, requestId, body);
  }

  @Override
  public String kind() {
    return "ServerError";
  }
}
