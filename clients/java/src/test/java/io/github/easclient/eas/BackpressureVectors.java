package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The §14 vector files: retry_budget (BUDGET-1) and adaptive_limit (ADAPT-1…4), and ADAPT-7's defaults. */
final class BackpressureVectors {
  private static final double EPS = 1e-9;

  private BackpressureVectors() {}

  static RetryBudget budget(JsonNode b) {
    return new RetryBudget(b.path("ratio").asDouble(RetryBudget.DEFAULT.ratio()),
        b.path("min_per_s").asDouble(RetryBudget.DEFAULT.minPerS()));
  }

  static void retryBudget(SpecCase c) {
    if (c.hasEx("error")) {
      EasException e = SpecTest.expectKind(c.ex("error").asText(), () -> budget(c.in("budget")));
      assertTrue(e.getMessage().contains(c.ex("message_contains").asText()), e.getMessage());
      return;
    }
    BudgetBucket b = new BudgetBucket(budget(c.in("budget")), c.in("start").asDouble());
    JsonNode events = c.in("events");
    JsonNode steps = c.ex("steps");
    assertEquals(steps.size(), events.size(), "one step per event");
    for (int k = 0; k < events.size(); k++) {
      JsonNode ev = events.get(k);
      JsonNode want = steps.get(k);
      if (ev.has("first")) {
        b.firstAttempt(ev.get("first").asDouble());
        assertTrue(!want.has("allowed"), "a deposit has no decision");
      } else {
        assertEquals(want.get("allowed").asBoolean(), b.tryRetry(ev.get("retry").asDouble()), "step " + k);
      }
      assertEquals(want.get("balance").asDouble(), b.balance(), EPS, "balance after step " + k);
    }
    assertEquals(c.ex("denied").asLong(), b.denied(), "denied");
  }

  static AdaptiveConcurrency config(JsonNode j) {
    AdaptiveConcurrency.Builder b = AdaptiveConcurrency.builder();
    if (j.has("min")) {
      b.min(j.get("min").asInt());
    }
    if (j.has("max")) {
      b.max(j.get("max").asInt());
    }
    if (j.has("initial")) {
      b.initial(j.get("initial").isNull() ? null : j.get("initial").asInt());
    }
    if (j.has("backoff")) {
      b.backoff(j.get("backoff").asDouble());
    }
    if (j.has("latency_tolerance")) {
      b.latencyTolerance(j.get("latency_tolerance").isNull() ? null : j.get("latency_tolerance").asDouble());
    }
    if (j.has("max_pause")) {
      b.maxPause(Vectors.seconds(j.get("max_pause")));
    }
    return b.build();
  }

  static void adaptiveLimit(SpecCase c) {
    if (c.hasIn("concurrency")) {
      resolve(c);
      return;
    }
    if (c.hasEx("error")) {
      EasException e = SpecTest.expectKind(c.ex("error").asText(), () -> config(c.in("config")));
      assertTrue(e.getMessage().contains(c.ex("message_contains").asText()), e.getMessage());
      c.in("events");
      return;
    }
    JsonNode pause = c.in("pause");
    AdaptiveLimiter l = new AdaptiveLimiter(config(c.in("config")),
        pause.path("backoff_base").asDouble(RetryPolicy.seconds(Defaults.BACKOFF_BASE)),
        pause.path("backoff_max").asDouble(RetryPolicy.seconds(Defaults.BACKOFF_MAX)),
        pause.path("retry_after_cap").asDouble(RetryPolicy.seconds(Defaults.RETRY_AFTER_CAP)));
    JsonNode events = c.in("events");
    JsonNode steps = c.ex("steps");
    assertEquals(steps.size(), events.size(), "one step per event");
    for (int k = 0; k < events.size(); k++) {
      JsonNode ev = events.get(k);
      JsonNode want = steps.get(k);
      String at = "step " + k + " " + ev;
      if (ev.has("acquire")) {
        double w = l.acquire(ev.get("acquire").asDouble());
        assertEquals(want.get("granted").asBoolean(), w == 0, at + " granted");
        assertEquals(want.get("in_flight").asInt(), l.inFlight, at + " in_flight");
        if (want.has("wait")) {
          assertEquals(want.get("wait").asDouble(), w, EPS, at + " wait");
        } else {
          assertTrue(w <= 0, at + ": no wait expected, got " + w);
        }
      } else if (ev.has("release")) {
        l.release();
        assertEquals(want.get("in_flight").asInt(), l.inFlight, at + " in_flight");
      } else {
        JsonNode o = ev.get("observe");
        l.observe(o.path("status").asInt(0), o.has("error") ? o.get("error").asText() : null,
            o.get("latency").asDouble(), o.get("epoch").asInt(), o.get("now").asDouble(), o.path("rand").asDouble(0),
            o.has("retry_after") ? o.get("retry_after").asDouble() : null);
        assertEquals(want.get("limit").asDouble(), l.limit, EPS, at + " limit");
        assertEquals(want.get("epoch").asInt(), l.epoch, at + " epoch");
      }
    }
  }

  /** ADAPT-1's concurrency argument: Java takes an int or an AdaptiveConcurrency ({@code auto()} for "auto"). */
  private static void resolve(SpecCase c) {
    JsonNode v = c.in("concurrency");
    if (v.isTextual() && v.asText().equals("auto")) {
      AdaptiveConcurrency a = AdaptiveConcurrency.auto();
      JsonNode w = c.ex("adaptive");
      // A field the spec adds must reach this check, not pass unread.
      Set<String> fields = new TreeSet<>();
      w.fieldNames().forEachRemaining(fields::add);
      assertEquals(new TreeSet<>(List.of("backoff", "initial", "latency_tolerance", "max", "max_pause", "min")), fields);
      assertEquals(List.of(w.get("min").asInt(), w.get("max").asInt(), w.get("initial").asInt()),
          List.of(a.min, a.max, a.initial));
      assertEquals(w.get("backoff").asDouble(), a.backoff);
      if (w.get("latency_tolerance").isNull()) {
        assertNull(a.latencyTolerance);
      } else {
        assertEquals(w.get("latency_tolerance").asDouble(), a.latencyTolerance);
      }
      assertEquals(Vectors.seconds(w.get("max_pause")), a.maxPause);
      return;
    }
    assertTrue(v.isInt(), "Java's concurrency is an int or an AdaptiveConcurrency, not " + v);
    try (EasClient client = EasClient.builder().endpoint("http://127.0.0.1:9/api/predict/x").build()) {
      if (c.hasEx("fixed")) {
        assertEquals(c.ex("fixed").asInt(), v.asInt());
        assertEquals(List.of(), client.predictMany(List.of(), v.asInt()));
        return;
      }
      EasException e = SpecTest.expectKind(c.ex("error").asText(), () -> client.predictMany(List.of(), v.asInt()));
      assertTrue(e.getMessage().contains(c.ex("message_contains").asText()), e.getMessage());
    }
  }

  /** ADAPT-7 and BUDGET-1's numbers in vectors/defaults.json. */
  static void defaults(SpecCase c) {
    assertEquals(c.ex("budget_ratio").asDouble(), RetryBudget.DEFAULT.ratio());
    assertEquals(c.ex("budget_min_per_s").asDouble(), RetryBudget.DEFAULT.minPerS());
    assertEquals(c.ex("budget_window_s").asDouble(), RetryBudget.WINDOW_S);
    AdaptiveConcurrency a = AdaptiveConcurrency.auto();
    assertEquals(c.ex("adaptive_min").asInt(), a.min);
    assertEquals(c.ex("adaptive_max").asInt(), a.max);
    assertEquals(c.ex("adaptive_initial").asInt(), a.initial);
    assertEquals(c.ex("adaptive_backoff").asDouble(), a.backoff);
    assertTrue(c.ex("latency_tolerance").isNull());
    assertNull(a.latencyTolerance);
    assertEquals(Vectors.seconds(c.ex("adaptive_max_pause_s")), a.maxPause);
    assertEquals(c.ex("min_queue_delay_s").asDouble(), AdaptiveLimiter.MIN_QUEUE_DELAY_S);
    assertEquals(c.ex("baseline_drift").asDouble(), AdaptiveLimiter.BASELINE_DRIFT);
    try (EasClient client = EasClient.builder().endpoint("http://127.0.0.1:9/api/predict/x").build()) {
      assertEquals(RetryBudget.DEFAULT, client.retryBudget);
    }
  }
}
