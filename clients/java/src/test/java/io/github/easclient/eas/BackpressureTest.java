package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure (protocol §14) against the real local runtime over real sockets: the capacity service
 * (2 workers × 5 ms, queue 4: 450 from the seventh call in flight) and a service answering 503 to
 * everything. Margins are wide: the machine is shared, only the shape of the outcome is asserted.
 */
class BackpressureTest {
  private static final String TOKEN = "backpressure-token";
  private static final String[] CAPACITY = {"--app-json", "examples/capacity/app.json", "--token", TOKEN};

  private static List<byte[]> rows(int n) {
    List<byte[]> out = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      out.add(("row-" + k).getBytes(StandardCharsets.UTF_8));
    }
    return out;
  }

  @Test
  void fixedConcurrencyPastTheQueueFailsItemsButAdaptiveFailsNone() throws Exception {
    List<byte[]> rows = rows(240);
    try (LocalRuntime rt = new LocalRuntime("examples/capacity/app.py", CAPACITY);
        EasClient client = EasClient.builder().endpoint(rt.url).token(TOKEN).maxRetries(0).build()) {
      List<EasResult> fixed = client.predictMany(rows, 32);
      long failed = fixed.stream().filter(r -> !r.isSuccess()).count();
      assertTrue(failed > 0, "32 in flight against 6 places must be refused sometimes");
      assertTrue(fixed.stream().filter(r -> !r.isSuccess()).allMatch(r -> r.error() instanceof QueueFullException));

      List<EasResult> auto = client.predictMany(rows, AdaptiveConcurrency.builder().max(32).build());
      assertEquals(rows.size(), auto.size());
      for (int k = 0; k < rows.size(); k++) {
        assertTrue(auto.get(k).isSuccess(), "item " + k + ": " + auto.get(k));
        assertEquals("row-" + k, new String(auto.get(k).body(), StandardCharsets.UTF_8), "input order");
      }
      List<EasResult> async = client.predictManyAsync(rows, AdaptiveConcurrency.auto()).get();
      assertTrue(async.stream().allMatch(EasResult::isSuccess), "async adaptive batch failed items");
      assertEquals(0, client.retryBudgetDenied(), "a put-back is not a retry");
    }
  }

  @Test
  void theBudgetBoundsAttemptsAgainstAServiceFailingEverything() throws Exception {
    int calls = 200;
    List<byte[]> rows = rows(calls);
    try (LocalRuntime rt = new LocalRuntime("examples/capacity/app.py", "--app-json", "examples/capacity/app.json",
        "--token", TOKEN, "--faults", "{\"rate_503\": 1.0}")) {
      long t0 = System.nanoTime();
      long attempts = 0;
      try (EasClient client = EasClient.builder().endpoint(rt.url).token(TOKEN).maxRetries(3)
          .backoffBase(Duration.ofMillis(1)).build()) {
        List<EasResult> rs = client.predictMany(rows, 16);
        double seconds = (System.nanoTime() - t0) / 1e9;
        for (EasResult r : rs) {
          assertTrue(r.error() instanceof ServiceUnavailableException, "same error kind: " + r);
          attempts += r.error().attempts();
        }
        assertTrue(rs.stream().anyMatch(r -> r.error().isBudgetExhausted()), "some call hit the budget");
        assertTrue(rs.stream().filter(r -> r.error().isBudgetExhausted())
            .allMatch(r -> r.error().getMessage().contains("retry budget exhausted")));
        assertTrue(client.retryBudgetDenied() > 0);
        // BUDGET-1: at most capacity (100) + ratio × calls + min_per_s × T retries.
        assertTrue(attempts <= calls + 100 + 0.1 * calls + 10 * seconds + 1, "attempts " + attempts);
      }
      try (EasClient client = EasClient.builder().endpoint(rt.url).token(TOKEN).maxRetries(3)
          .backoffBase(Duration.ofMillis(1)).retryBudget(null).build()) {
        long all = client.predictMany(rows, 16).stream().mapToLong(r -> r.error().attempts()).sum();
        assertEquals(4L * calls, all, "without a budget every call makes 1 + maxRetries attempts");
        assertEquals(0, client.retryBudgetDenied());
      }
    }
  }

  /**
   * ADAPT-4's max_pause over a real socket: against a service refusing everything with 450, one item at
   * min probes every max_pause (jitter fixed at 1: pauses 0.1, 0.2, 0.25, 0.25 … s) until its deadline,
   * where pauses capped only by backoffMax double (0.1, 0.2, 0.4, 0.8, 1.6 s). Host delays only lengthen
   * the run between attempts, so the counts can only fall: at most 11 and 5 attempts in 2.5 s.
   */
  @Test
  void pausesAtMinStopGrowingAtMaxPause() throws Exception {
    try (LocalRuntime rt = new LocalRuntime("examples/capacity/app.py", "--app-json", "examples/capacity/app.json",
        "--token", TOKEN, "--faults", "{\"rate_450\": 1.0}")) {
      AdaptiveConcurrency capped = AdaptiveConcurrency.builder().initial(1).build();
      AdaptiveConcurrency long5s = AdaptiveConcurrency.builder().initial(1).maxPause(Duration.ofSeconds(5)).build();
      assertEquals(Duration.ofMillis(250), capped.maxPause, "the default (ADAPT-7)");
      assertEquals(capped.maxPause, AdaptiveConcurrency.builder().maxPause(null).build().maxPause, "null: the default");
      long withCap = attemptsUntilDeadline(rt.url, capped);
      long withoutCap = attemptsUntilDeadline(rt.url, long5s);
      assertTrue(withCap >= 8 && withCap <= 11, "probes every 0.25 s at most: " + withCap + " attempts");
      assertTrue(withoutCap <= 5, "pauses doubling to backoffMax: " + withoutCap + " attempts");
    }
  }

  private static long attemptsUntilDeadline(String url, AdaptiveConcurrency cfg) throws Exception {
    long before = served(url);
    try (EasClient client = EasClient.builder().endpoint(url).token(TOKEN).deadline(Duration.ofMillis(2500))
        .jitter(() -> 1.0).build()) {
      List<EasResult> rs = client.predictMany(rows(1), cfg);
      assertTrue(rs.get(0).error() instanceof DeadlineExceededException, "busy until the deadline: " + rs.get(0));
      assertTrue(rs.get(0).error().getCause() instanceof QueueFullException, String.valueOf(rs.get(0).error()));
    }
    return served(url) - before;
  }

  /** The requests the runtime has answered, from its /_admin/stats. */
  private static long served(String url) throws Exception {
    URI stats = URI.create(url).resolve("/_admin/stats");
    String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(stats).header("Authorization", TOKEN).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = Pattern.compile("\"requests\"\\s*:\\s*(\\d+)").matcher(body);
    assertTrue(m.find(), body);
    return Long.parseLong(m.group(1));
  }

  @Test
  void toBuilderVariantsShareTheBudgetUntilItChanges() {
    try (EasClient a = EasClient.builder().endpoint("http://127.0.0.1:9/api/predict/x").build();
        EasClient same = a.toBuilder().timeout(Duration.ofSeconds(3)).build();
        EasClient other = a.toBuilder().retryBudget(new RetryBudget(0.5, 1)).build();
        EasClient none = a.toBuilder().retryBudget(null).build()) {
      assertSame(a.budget, same.budget);
      assertNotSame(a.budget, other.budget);
      assertEquals(new RetryBudget(0.5, 1), other.retryBudget);
      assertEquals(null, none.budget);
      assertFalse(new EasReadException("x", null, 1, null).isBudgetExhausted());
    }
  }
}
