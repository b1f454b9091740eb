package io.github.easclient.eas;

/** HTTP 403: the token has no access to this service. Spec kind {@code PermissionDeniedError}. */
public final class PermissionDeniedException extends EasStatusException {
  private static final long serialVersionUID = 1L;

  PermissionDeniedException(String message, String url, int attempts, int status, String requestId, byte[] body) {
    super(message, url, attempts, status, requestId, body);
  }

  @Override
  public String kind() {
    return "PermissionDeniedError";
  }
}
