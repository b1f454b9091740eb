package io.github.easclient.eas;

/** HTTP 400: the processor rejected the input. Spec kind {@code BadRequestError}. */
public final class BadRequestException extends EasStatusException {
  private static final long serialVersionUID = 1L;

  BadRequestException(String message, String url, int attempts, int status, String requestId, byte[] body) {
    super(message, url, attempts, status, requestId, body);
  }

  @Override
  public String kind() {
    return "BadRequestError";
  }
}
