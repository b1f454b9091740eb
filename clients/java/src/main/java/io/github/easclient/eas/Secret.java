package io.github.easclient.eas;

/** Holds the token so that no toString, reflection dump or debugger view of the client shows it (SEC-4). */
final class Secret {
  private final String value;

  Secret(String value) {
    this.value = value;
  }

  /** The token itself, only where a header or signature needs it. */
  String reveal() {
    return value;
  }

  @Override
  public String toString() {
    return Redact.MASK;
  }
}
