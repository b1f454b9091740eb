package io.github.easclient.eas;

/** HTTP 404: no such service at this endpoint. Spec kind {@code NotFoundError}. */
public final class NotFoundException extends EasStatusException {
  private static final long serialVersionUID = 1L;

  NotFoundException(String message, String url, int attempts, int status, String requestId, byte[] body) {
    super(message, url, attempts, status, requestId, body);
  }

  @Override
  public String kind() {
    return "NotFoundError";
  }
}
