package io.github.easclient.eas;

/** An invalid builder option or call argument; the message names the problem and the fix. Spec kind {@code ConfigError}. */
public final class EasConfigException extends EasException {
  private static final long serialVersionUID = 1L;

  EasConfigException(String message) {
    super(message, null, 0, null);
  }

  @Override
  public String kind() {
    return "ConfigError";
  }
}
