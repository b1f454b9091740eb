package io.github.easclient.eas;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** predict_many (BATCH-1): at most {@code concurrency} calls in flight, results in input order. */
final class Batch {
  private Batch() {}

  static CompletableFuture<List<EasResult>> run(EasClient c, List<EasRequest> requests, int concurrency,
      boolean returnErrors, boolean awaitRefresh) {
    if (concurrency < 1) {
      throw new EasConfigException("concurrency must be >= 1, got " + concurrency);
    }
    if (requests == null) {
      throw new PayloadException("requests is null; pass a list");
    }
    int n = requests.size();
    EasResult[] out = new EasResult[n];
    AtomicInteger next = new AtomicInteger();
    AtomicReference<EasException> firstError = new AtomicReference<>();
    CompletableFuture<List<EasResult>> done = new CompletableFuture<>();
    Set<CompletableFuture<EasResponse>> running = ConcurrentHashMap.newKeySet();
    done.whenComplete((v, e) -> {
      if (done.isCancelled()) {
        running.forEach(f -> f.cancel(true));
      }
    });
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    for (int w = 0; w < Math.min(concurrency, n); w++) {
      CompletableFuture<Void> worker = new CompletableFuture<>();
      workers.add(worker);
      pump(c, requests, out, next, firstError, returnErrors, awaitRefresh, worker, done, running);
    }
    CompletableFuture.allOf(workers.toArray(new CompletableFuture<?>[0])).whenComplete((v, e) -> {
      if (!returnErrors && firstError.get() != null) {
        done.completeExceptionally(firstError.get());
      } else {
        done.complete(Arrays.asList(out));
      }
    });
    return done;
  }

  private static void pump(EasClient c, List<EasRequest> requests, EasResult[] out, AtomicInteger next,
      AtomicReference<EasException> firstError, boolean returnErrors, boolean awaitRefresh,
      CompletableFuture<Void> worker, CompletableFuture<List<EasResult>> done,
      Set<CompletableFuture<EasResponse>> running) {
    if (done.isCancelled() || (!returnErrors && firstError.get() != null)) {
      worker.complete(null);
      return;
    }
    int k = next.getAndIncrement();
    if (k >= requests.size()) {
      worker.complete(null);
      return;
    }
    CompletableFuture<EasResponse> f;
    try {
      f = c.call(requests.get(k), awaitRefresh);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<EasResponse> call = f;
    running.add(call);
    if (done.isCancelled()) {
      call.cancel(true);
    }
    f.whenComplete((resp, err) -> {
      running.remove(call);
      if (err == null) {
        out[k] = EasResult.ok(resp);
      } else {
        RuntimeException e = EasClient.unwrap(err);
        EasException ee = e instanceof EasException ? (EasException) e
            : new EasReadException(String.valueOf(e.getMessage()), null, 0, e);
        out[k] = EasResult.failed(ee);
        firstError.compareAndSet(null, ee);
      }
      pump(c, requests, out, next, firstError, returnErrors, awaitRefresh, worker, done, running);
    });
  }
}
