package io.github.easclient.eas;

/**
 * One outcome of a batch: the response of a successful call, or its error. Batches return one per input,
 * in input order.
 *
 * <pre>{@code
 * for (EasResult r : client.predictMany(inputs, 32)) {
 *     if (r.isSuccess()) use(r.body()); else log(r.error());
 * }
 * }</pre>
 */
public final class EasResult {
  private final EasResponse response;
  private final EasException error;

  private EasResult(EasResponse response, EasException error) {
    this.response = response;
    this.error = error;
  }

  static EasResult ok(EasResponse r) {
    return new EasResult(r, null);
  }

  static EasResult failed(EasException e) {
    return new EasResult(null, e);
  }

  public boolean isSuccess() {
    return error == null;
  }

  /** The body of a successful call; throws the call's error otherwise. */
  public byte[] body() {
    if (error != null) {
      throw error;
    }
    return response.body();
  }

  /** The response of a successful call; throws the call's error otherwise. */
  public EasResponse response() {
    if (error != null) {
      throw error;
    }
    return response;
  }

  /** The error, or null on success. */
  public EasException error() {
    return error;
  }

  @Override
  public String toString() {
    return error == null ? "EasResult{" + response + "}" : "EasResult{" + error + "}";
  }
}
