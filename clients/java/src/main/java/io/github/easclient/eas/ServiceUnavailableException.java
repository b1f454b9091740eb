package io.github.easclient.eas;

/** HTTP 503: no instance is ready (for example during a rollout). Spec kind {@code ServiceUnavailableError}. */
public final class ServiceUnavailableException extends ServerException {
  private static final long serialVersionUID = 1L;

  ServiceUnavailableException(String message, String url, int attempts, int status, String requestId, byte[] body) {
    super(message, url, attempts, status, requestId, body);
  }

  @Override
  public String kind() {
    return "ServiceUnavailableError";
  }
}
