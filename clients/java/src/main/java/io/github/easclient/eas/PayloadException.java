package io.github.easclient.eas;

/** A body or tensor that cannot be encoded, or a response that cannot be decoded. Spec kind {@code PayloadError}. */
public final class PayloadException extends EasException {
  private static final long serialVersionUID = 1L;

  PayloadException(String message) {
    super(message, null, 0, null);
  }

  @Override
  public String kind() {
    return "PayloadError";
  }
}
