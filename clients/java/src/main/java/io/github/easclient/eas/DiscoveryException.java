package io.github.easclient.eas;

/** Direct mode: the instance list could not be fetched, or its answer was unusable. Spec kind {@code DiscoveryError}. */
public final class DiscoveryException extends EasException {
  private static final long serialVersionUID = 1L;

  DiscoveryException(String message, String url, Throwable cause) {
    super(message, url, 0, cause);
  }

  @Override
  public String kind() {
    return "DiscoveryError";
  }
}
