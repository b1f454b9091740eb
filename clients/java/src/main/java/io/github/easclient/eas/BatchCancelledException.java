package io.github.easclient.eas;

import java.util.List;
import java.util.concurrent.CancellationException;

/**
 * How an adaptive batch's future ends when the caller cancels it (ADAPT-6): a {@link CancellationException}
 * (so {@code isCancelled()} is true and code catching cancellation keeps working) that also holds one
 * outcome per input, in input order: the result of each item that had finished, and an
 * {@link EasResult#isCancelled()} entry for every other item. Nothing is sent after the cancel.
 */
public final class BatchCancelledException extends CancellationException {
  private static final long serialVersionUID = 1L;

  private final transient List<EasResult> results;

  BatchCancelledException(List<EasResult> results) {
    super("the batch was cancelled: " + results.stream().filter(EasResult::isCancelled).count() + " of "
        + results.size() + " items did not finish");
    this.results = List.copyOf(results);
  }

  /** One outcome per input, in input order. */
  public List<EasResult> results() {
    return results;
  }
}
