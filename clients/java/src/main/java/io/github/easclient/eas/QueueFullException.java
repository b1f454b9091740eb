package io.github.easclient.eas;

/** HTTP 450: the instance's request queue is full (EAS back-pressure). Spec kind {@code QueueFullError}. */
public final class QueueFullException extends EasStatusException {
  private static final long serialVersionUID = 1L;

  QueueFullException(String message, String url, int attempts, int status, String requestId, byte[] body) {
    super(message, url, attempts, status, requestId, body);
  }

  @Override
  public String kind() {
    return "QueueFullError";
  }
}
