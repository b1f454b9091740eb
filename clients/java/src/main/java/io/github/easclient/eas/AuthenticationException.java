package io.github.easclient.eas;

/** HTTP 401: the token is missing or wrong. Spec kind {@code AuthenticationError}. */
public final class AuthenticationException extends EasStatusException {
  private static final long serialVersionUID = 1L;

  AuthenticationException(String message, String url, int attempts, int status, String requestId, byte[] body) {
    super(message, url, attempts, status, requestId, body);
  }

  @Override
  public String kind() {
    return "AuthenticationError";
  }
}
