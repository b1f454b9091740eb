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
  private final java.util.concurrent.CancellationException cancelled;

  private EasResult(EasResponse response, EasException error) {
    this.response = response;
    this.error = error;
    this.cancelled = null;
  }

  private EasResult(java.util.concurrent.CancellationException cancelled) {
    this.response = null;
    this.error = null;
    this.cancelled = cancelled;
  }

  /** An item of a cancelled batch that had not finished (ADAPT-6): never sent, or stopped in flight. */
  static EasResult cancelled(java.util.concurrent.CancellationException e) {
    return new EasResult(e);
  }

  /**
   * True for an item of a cancelled batch that had not finished (ADAPT-6); {@link #error()} is then null
   * and {@link #body()} throws the {@link java.util.concurrent.CancellationException}.
   */
  public boolean isCancelled() {
    return cancelled != null;
  }

  static EasResult ok(EasResponse r) {
    return new EasResult(r, null);
  }

  static EasResult failed(EasException e) {
    return new EasResult(null, e);
  }

  public boolean isSuccess() {
    return error == null && cancelled == null;
  }

  /** The body of a successful call; throws the call's error otherwise. */
  public byte[] body() {
    if (error != null) {
      throw error;
    }
    if (cancelled != null) {
      throw cancelled;
    }
    return response.body();
  }

  /** The response of a successful call; throws the call's error otherwise. */
  public EasResponse response() {
    if (error != null) {
      throw error;
    }
    if (cancelled != null) {
      throw cancelled;
    }
    return response;
  }

  /** The error, or null on success. */
  public EasException error() {
    return error;
  }

  @Override
  public String toString() {
    return cancelled != null ? "EasResult{cancelled}" : error == null ? "EasResult{" + response + "}"
        : "EasResult{" + error + "}";
  }
}
