package io.github.easclient.eas;

/** The overall deadline ended the call; {@link #getCause()} is the last attempt's error. Spec kind {@code DeadlineExceededError}. */
public final class DeadlineExceededException extends EasException {
  private static final long serialVersionUID = 1L;

  DeadlineExceededException(String message, String url, int attempts, Throwable lastError) {
    super(message, url, attempts, lastError);
  }

  @Override
  public String kind() {
    return "DeadlineExceededError";
  }
}
