package io.github.easclient.eas;

/** HTTP 500: the processor failed. Spec kind {@code InternalServerError}. */
public final class InternalServerException extends ServerException {
  private static final long serialVersionUID = 1L;

  InternalServerException(String message, String url, int attempts, int status, String requestId, byte[] body) {
    super(message, url, attempts, status, requestId, body);
  }

  @Override
  public String kind() {
    return "InternalServerError";
  }
}
