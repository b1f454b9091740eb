package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Scenario cases: scripted servers on 127.0.0.1, a client built from input.client with jitter fixed at 0. */
final class Scenarios {
  private static final Set<String> CLIENT_KEYS = Set.of("token", "service_name", "auth", "backoff_base", "backoff_max",
      "retry_after_cap", "max_retries", "timeout", "connect_timeout", "retry_statuses", "retry_errors", "deadline",
      "endpoint_type", "discovery_refresh", "eject_for", "endpoint_path", "headers", "env", "rand", "clock",
      "max_response_bytes", "retry_budget");
  private static final Set<String> CALL_KEYS = Set.of("data", "path", "params", "headers", "timeout", "max_retries",
      "batch", "concurrency", "return_exceptions", "repeat", "pause_ms", "cancel_after_ms", "stream", "stop_after");
  private static final Set<String> REPLY_KEYS = Set.of("status", "headers", "body", "delay_ms", "reset", "items",
      "echo", "when", "drip_ms", "body_repeat", "close_after", "omit_length", "chunks", "end");

  /** The engine scenarios run on (null: the default), set by the runner around each case. */
  static final ThreadLocal<HttpEngine> ENGINE = new ThreadLocal<>();

  private Scenarios() {}

  static ScriptedServer.Reply reply(JsonNode r) {
    r.fieldNames().forEachRemaining(k -> assertTrue(REPLY_KEYS.contains(k), "unknown reply key " + k));
    ScriptedServer.Reply out = new ScriptedServer.Reply();
    out.status = r.path("status").asInt(200);
    r.path("headers").fields().forEachRemaining(e -> out.headers.put(e.getKey(), e.getValue().asText()));
    if (r.has("body")) {
      out.body = SpecTest.bytes(r.get("body"));
    }
    out.delayMs = r.path("delay_ms").asInt(0);
    out.reset = r.path("reset").asBoolean(false);
    out.echo = r.path("echo").asBoolean(false);
    out.dripMs = r.path("drip_ms").asInt(0);
    out.closeAfter = r.path("close_after").asBoolean(false);
    out.omitLength = r.path("omit_length").asBoolean(false);
    if (r.has("body_repeat")) {
      out.body = new byte[r.get("body_repeat").get("count").asInt()];
      java.util.Arrays.fill(out.body, (byte) Integer.parseInt(r.get("body_repeat").get("byte").asText(), 16));
    }
    if (r.has("when")) {
      out.when = SpecTest.bytes(r.get("when"));
    }
    StreamScenarios.reply(r, out);
    return out;
  }

  static List<ScriptedServer.Reply> replies(JsonNode list) {
    List<ScriptedServer.Reply> out = new ArrayList<>();
    list.forEach(r -> out.add(reply(r)));
    return out;
  }

  static ScriptedServer.Reply text(int status, String body) {
    ScriptedServer.Reply r = new ScriptedServer.Reply();
    r.status = status;
    r.body = body.getBytes(StandardCharsets.UTF_8);
    return r;
  }

  /** Every scenario runs on the blocking and the async API (cancellation cases: async only, RETRY-8). */
  static void run(SpecCase c) {
    JsonNode call = c.in("call");
    call.fieldNames().forEachRemaining(k -> assertTrue(CALL_KEYS.contains(k), "unknown call key " + k));
    // An adaptive batch is also cancelled on the blocking API, by interrupting its thread (ADAPT-6).
    List<String> apis = call.has("cancel_after_ms") && !(call.has("batch") && adaptive(call) != null)
        ? List.of("async")
        : call.has("stream") ? List.of("sync", "async", "publisher") : List.of("sync", "async");
    for (String api : apis) {
      try {
        runOnce(c, api);
      } catch (AssertionError e) {
        throw new AssertionError("[" + api + " API] " + e.getMessage(), e);
      }
    }
  }

  /** The outcome of one call. */
  static final class Outcome {
    Object value;
    long elapsedMs;
  }

  private static void runOnce(SpecCase c, String api) {
    List<ScriptedServer> instances = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    ScriptedServer main = null;
    EasClient client = null;
    LogCapture log = new LogCapture();
    try {
      JsonNode cl = c.in("client");
      cl.fieldNames().forEachRemaining(k -> assertTrue(CLIENT_KEYS.contains(k), "unknown client option " + k));
      boolean direct = "direct".equals(cl.path("endpoint_type").asText("gateway"));
      if (c.hasIn("instances")) {
        for (JsonNode inst : c.in("instances")) {
          inst.fieldNames().forEachRemaining(k -> assertTrue(Set.of("weight", "replies", "down").contains(k),
              "unknown instance key " + k));
          if (inst.path("down").asBoolean(false)) {
            instances.add(null);
            ports.add(ScriptedServer.closedPort());
          } else {
            ScriptedServer s = new ScriptedServer(replies(inst.path("replies")), seen -> text(200, "ok"));
            instances.add(s);
            ports.add(s.port());
          }
        }
      }
      String endpoint;
      if (direct) {
        JsonNode insts = c.in("instances");
        List<ScriptedServer.Reply> disc = new ArrayList<>();
        for (JsonNode r : c.in("discovery")) {
          ScriptedServer.Reply rep = reply(r);
          if (r.has("items")) {
            StringBuilder b = new StringBuilder("{\"endpoints\":{\"items\":[");
            for (int k = 0; k < r.get("items").size(); k++) {
              int i = r.get("items").get(k).asInt();
              b.append(k > 0 ? "," : "").append("{\"ip\":\"127.0.0.1\",\"port\":").append(ports.get(i))
                  .append(",\"weight\":").append(insts.get(i).get("weight").asInt()).append("}");
            }
            rep.body = b.append("]}}").toString().getBytes(StandardCharsets.UTF_8);
          }
          disc.add(rep);
        }
        main = new ScriptedServer(disc, seen -> text(200, "ok"));
        endpoint = main.origin();
      } else {
        main = new ScriptedServer(replies(c.in("replies")), seen -> text(200, "ok"));
        endpoint = main.origin() + cl.path("endpoint_path").asText("");
      }
      String origin = main.origin();
      String token = Vectors.textOrNull(cl.path("token"));
      if (token == null && cl.path("env").has("EAS_TOKEN")) {
        token = cl.path("env").get("EAS_TOKEN").asText();
      }
      client = build(cl, endpoint, direct, origin);
      JsonNode call = c.in("call");
      int repeat = call.path("repeat").asInt(1);
      List<Outcome> outcomes = new ArrayList<>();
      for (JsonNode w : c.in("warmup")) {
        Outcome o = perform(client, w, api);
        assertTrue(o.value instanceof EasResponse, "warm-up call failed: " + o.value);
      }
      log.start();
      for (int k = 0; k < repeat; k++) {
        outcomes.add(perform(client, call, api));
        if (call.has("pause_ms")) {
          Thread.sleep(call.get("pause_ms").asLong());
        }
      }
      log.stop();
      for (Outcome o : outcomes) {
        checkOutcome(c, o.value, origin);
        JsonNode want = c.ex("outcome");
        double s = o.elapsedMs / 1000.0;
        assertTrue(s >= want.path("min_elapsed_s").asDouble(0) && s <= want.path("max_elapsed_s").asDouble(1e9),
            "call took " + s + " s, expected " + want.path("min_elapsed_s") + ".." + want.path("max_elapsed_s"));
        checkNoToken(o.value, token);
        if (c.hasEx("elapsed_ms")) {
          JsonNode e = c.ex("elapsed_ms");
          assertTrue(o.elapsedMs >= e.path("min").asLong(0) && o.elapsedMs <= e.path("max").asLong(Long.MAX_VALUE),
              "call took " + o.elapsedMs + " ms, expected " + e);
        }
      }
      checkLog(c, log.lines(), origin, token);
      if (c.hasEx("budget_denied")) {
        assertEquals(c.ex("budget_denied").asLong(), client.retryBudgetDenied(), "retries the budget refused");
      }
      List<ScriptedServer.Seen> seen = new ArrayList<>();
      if (direct) {
        for (ScriptedServer s : instances) {
          if (s != null) {
            seen.addAll(s.seen());
          }
        }
      } else {
        seen = main.seen();
      }
      for (ScriptedServer.Seen s : seen) {
        checkHttp1(s);
      }
      if (c.hasEx("requests")) {
        checkRequests(c.ex("requests"), seen, token, c.ex("unordered_requests").asBoolean(false));
      } else {
        c.ex("unordered_requests");
      }
      if (c.hasEx("max_in_flight")) {
        int max = 0;
        for (ScriptedServer s : direct ? instances : List.of(main)) {
          max = s == null ? max : Math.max(max, s.maxInFlight());
        }
        assertEquals(c.ex("max_in_flight").asInt(), max, "most requests in flight at once");
      }
      if (c.hasEx("instance_requests")) {
        List<Integer> got = new ArrayList<>();
        for (ScriptedServer s : instances) {
          got.add(s == null ? 0 : s.seen().size());
        }
        List<Integer> want = new ArrayList<>();
        c.ex("instance_requests").forEach(n -> want.add(n.asInt()));
        assertEquals(want, got, "requests per instance");
      }
      if (c.hasEx("discovery_requests")) {
        assertEquals(c.ex("discovery_requests").asInt(), main.seen().size(), "discovery requests");
      }
      if (direct) {
        for (ScriptedServer.Seen s : main.seen()) {
          assertEquals("GET", s.method);
          String svc = cl.path("service_name").asText();
          assertEquals("/api/v1/servicediscovery/upstreams/" + svc.split("/")[0], s.path);
          assertEquals("", s.query, "discovery query");
          assertNull(s.headers.get("authorization"), "discovery must not send Authorization");
          assertTrue(s.headers.getOrDefault("user-agent", "").startsWith("eas-client-"), "discovery User-Agent");
        }
      }
      if (c.hasEx("final_instance")) {
        long best = -1;
        int which = -1;
        for (int k = 0; k < instances.size(); k++) {
          if (instances.get(k) != null) {
            for (ScriptedServer.Seen s : instances.get(k).seen()) {
              if (s.seq > best) {
                best = s.seq;
                which = k;
              }
            }
          }
        }
        assertEquals(c.ex("final_instance").asInt(), which, "instance of the last request");
      }
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      log.stop();
      if (client != null) {
        client.close();
      }
      closeQuietly(main);
      instances.forEach(Scenarios::closeQuietly);
    }
  }

  /** HTTP-1: every POST is HTTP/1.1 with our User-Agent, a Content-Length equal to the body and no chunking. */
  static void checkHttp1(ScriptedServer.Seen s) {
    if (!s.method.equals("POST")) {
      return;
    }
    assertEquals("HTTP/1.1", s.version, "HTTP version");
    assertTrue(s.headers.getOrDefault("user-agent", "").startsWith("eas-client-"), "User-Agent prefix (HDR-1)");
    assertEquals(Integer.toString(s.body.length), s.headers.get("content-length"), "Content-Length");
    assertNull(s.headers.get("transfer-encoding"), "no Transfer-Encoding");
  }

  /** SEC-1 in every scenario: a token of 8+ characters is in no error text or body excerpt. */
  @SuppressWarnings("unchecked")
  static void checkNoToken(Object outcome, String token) {
    if (token == null || token.length() < Redact.MIN_SEARCHED) {
      return;
    }
    List<EasException> errors = new ArrayList<>();
    if (outcome instanceof StreamScenarios.Result && ((StreamScenarios.Result) outcome).error != null) {
      errors.add(((StreamScenarios.Result) outcome).error);
    } else if (outcome instanceof EasException) {
      errors.add((EasException) outcome);
    } else if (outcome instanceof List) {
      for (EasResult r : (List<EasResult>) outcome) {
        if (r.error() != null) {
          errors.add(r.error());
        }
      }
    }
    for (EasException e : errors) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        assertTrue(!String.valueOf(t.getMessage()).contains(token) && !t.toString().contains(token),
            "the token appears in an error: " + t.getClass().getSimpleName());
        if (t instanceof EasStatusException) {
          assertTrue(!new String(((EasStatusException) t).body(), StandardCharsets.UTF_8).contains(token),
              "the token appears in a body excerpt");
        }
      }
    }
  }

  static void checkLog(SpecCase c, List<String> lines, String origin, String token) {
    if (token != null && token.length() >= Redact.MIN_SEARCHED) {
      for (String l : lines) {
        assertTrue(!l.contains(token), "the token appears in a log line");
      }
    }
    if (!c.hasEx("log")) {
      return;
    }
    JsonNode want = c.ex("log");
    want.fieldNames().forEachRemaining(k -> assertTrue(Set.of("lines_with_url", "contains", "absent").contains(k),
        "unknown log key " + k));
    if (want.has("lines_with_url")) {
      long n = lines.stream().filter(l -> l.contains(origin)).count();
      assertEquals(want.get("lines_with_url").asLong(), n, "log lines with the URL: " + lines);
    }
    for (JsonNode s : want.path("contains")) {
      assertTrue(lines.stream().anyMatch(l -> l.contains(s.asText())), "no log line contains " + s + ": " + lines);
    }
    for (JsonNode s : want.path("absent")) {
      assertTrue(lines.stream().noneMatch(l -> l.contains(s.asText())), "a log line contains " + s);
    }
  }

  private static void closeQuietly(ScriptedServer s) {
    if (s != null) {
      try {
        s.close();
      } catch (java.io.IOException e) {
        // best effort
      }
    }
  }

  static EasClient build(JsonNode cl, String endpoint, boolean direct, String origin) {
    Map<String, String> env = new java.util.HashMap<>();
    cl.path("env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText().replace("{origin}", origin)));
    double rand = cl.path("rand").asDouble(0.0);
    EasClient.Builder b = EasClient.builder().environment(env::get).jitter(() -> rand)
        .token(Vectors.textOrNull(cl.path("token"))).serviceName(Vectors.textOrNull(cl.path("service_name")))
        .signatureAuth("signature".equals(cl.path("auth").asText("token"))).directMode(direct)
        .engine(ENGINE.get());
    if (!env.containsKey("EAS_ENDPOINT")) {
      b.endpoint(endpoint);
    }
    if (cl.has("clock")) {
      b.clock(java.time.Clock.fixed(java.time.Instant.ofEpochMilli(Math.round(cl.get("clock").asDouble() * 1000)),
          java.time.ZoneOffset.UTC));
    }
    if (cl.has("backoff_base")) {
      b.backoffBase(Vectors.seconds(cl.get("backoff_base")));
    }
    if (cl.has("backoff_max")) {
      b.backoffMax(Vectors.seconds(cl.get("backoff_max")));
    }
    if (cl.has("retry_after_cap")) {
      b.retryAfterCap(Vectors.seconds(cl.get("retry_after_cap")));
    }
    if (cl.has("max_retries")) {
      b.maxRetries(cl.get("max_retries").asInt());
    }
    if (cl.has("timeout")) {
      b.timeout(Vectors.seconds(cl.get("timeout")));
    }
    if (cl.has("connect_timeout")) {
      b.connectTimeout(Vectors.seconds(cl.get("connect_timeout")));
    }
    if (cl.has("deadline") && !cl.get("deadline").isNull()) {
      b.deadline(Vectors.seconds(cl.get("deadline")));
    }
    if (cl.has("discovery_refresh")) {
      b.discoveryRefresh(Vectors.seconds(cl.get("discovery_refresh")));
    }
    if (cl.has("eject_for")) {
      b.ejectFor(Vectors.seconds(cl.get("eject_for")));
    }
    if (cl.has("retry_statuses")) {
      Set<Integer> s = new HashSet<>();
      cl.get("retry_statuses").forEach(n -> s.add(n.asInt()));
      b.retryStatuses(s);
    }
    if (cl.has("retry_errors")) {
      Set<String> s = new HashSet<>();
      cl.get("retry_errors").forEach(n -> s.add(n.asText()));
      b.retryErrors(s);
    }
    if (cl.has("headers")) {
      b.headers(Vectors.stringMap(cl.get("headers")));
    }
    if (cl.has("retry_budget")) {
      b.retryBudget(cl.get("retry_budget").isNull() ? null : BackpressureVectors.budget(cl.get("retry_budget")));
    }
    if (cl.has("max_response_bytes")) {
      b.maxResponseBytes(cl.get("max_response_bytes").isNull() ? null : cl.get("max_response_bytes").asLong());
    }
    return b.build();
  }

  static EasRequest request(JsonNode call, JsonNode data) {
    EasRequest.Builder r = EasRequest.builder();
    Payload p = Vectors.payload(data);
    switch (p.kind) {
      case TEXT: r.text(new String(p.body, StandardCharsets.UTF_8)); break;
      case JSON: r.json(SpecTest.JSON.convertValue(data.get("json"), Object.class)); break;
      case TF: r.tf(Payloads.tfRequest(data.has("tensor") ? data.get("tensor") : data.get("tf_request"))); break;
      case TORCH: r.torch(Payloads.torchRequest(data.has("tensor") ? data.get("tensor") : data.get("torch_request")));
        break;
      default: r.body(p.body);
    }
    if (call.has("path")) {
      r.path(call.get("path").asText());
    }
    for (Map.Entry<String, Object> e : Vectors.pairs(call.path("params"))) {
      r.param(e.getKey(), e.getValue());
    }
    call.path("headers").fields().forEachRemaining(e -> r.header(e.getKey(), e.getValue().asText()));
    if (call.has("timeout")) {
      r.timeout(Vectors.seconds(call.get("timeout")));
    }
    if (call.has("max_retries")) {
      r.maxRetries(call.get("max_retries").asInt());
    }
    return r.build();
  }

  /** Marks a call the runner cancelled and that ended in the language's cancellation error. */
  static final Object CANCELLED = new Object();

  /** A cancelled adaptive batch: every item's outcome (ADAPT-6). */
  static final class CancelledBatch {
    final List<EasResult> results;

    CancelledBatch(List<EasResult> results) {
      this.results = results;
    }
  }

  /** The call's concurrency as an AdaptiveConcurrency ("auto" or an object), or null for a fixed one. */
  static AdaptiveConcurrency adaptive(JsonNode call) {
    JsonNode v = call.path("concurrency");
    if (v.isTextual() && v.asText().equals("auto")) {
      return AdaptiveConcurrency.auto();
    }
    return v.isObject() ? BackpressureVectors.config(v) : null;
  }

  /**
   * Runs the call on one API; the value is an EasResponse, a List of EasResult, the thrown EasException
   * or {@link #CANCELLED}.
   */
  static Outcome perform(EasClient client, JsonNode call, String api) throws InterruptedException {
    Outcome o = new Outcome();
    long t0 = System.nanoTime();
    if (call.has("stream")) {
      o.value = StreamScenarios.perform(client, call, api);
      o.elapsedMs = (System.nanoTime() - t0) / 1_000_000;
      return o;
    }
    try {
      CompletableFuture<?> f;
      List<EasRequest> reqs = new ArrayList<>();
      int conc = call.path("concurrency").asInt(16);
      AdaptiveConcurrency adaptive = adaptive(call);
      boolean returnErrors = call.path("return_exceptions").asBoolean(true);
      if (call.has("batch")) {
        call.get("batch").forEach(d -> reqs.add(request(call, d)));
      }
      if (api.equals("sync")) {
        if (!call.has("batch")) {
          o.value = client.request(request(call, call.get("data")));
        } else if (adaptive != null && call.has("cancel_after_ms")) {
          Thread me = Thread.currentThread();
          java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors
              .newSingleThreadScheduledExecutor();
          List<EasResult> rs;
          try {
            timer.schedule(me::interrupt, call.get("cancel_after_ms").asLong(), TimeUnit.MILLISECONDS);
            rs = client.requestMany(reqs, adaptive);
          } finally {
            timer.shutdownNow();
          }
          boolean interrupted = Thread.interrupted();
          assertTrue(interrupted, "the batch ended before the interrupt");
          o.value = new CancelledBatch(rs);
        } else if (adaptive != null && returnErrors) {
          o.value = client.requestMany(reqs, adaptive);
        } else if (adaptive != null) {
          client.requestAll(reqs, adaptive);
          fail("requestAll returned although a call failed");
        } else if (returnErrors) {
          o.value = client.requestMany(reqs, conc);
        } else {
          client.requestAll(reqs, conc);
          fail("requestAll returned although a call failed");
        }
      } else {
        f = !call.has("batch") ? client.requestAsync(request(call, call.get("data")))
            : adaptive != null ? (returnErrors ? client.requestManyAsync(reqs, adaptive)
                : client.requestAllAsync(reqs, adaptive))
            : returnErrors ? client.requestManyAsync(reqs, conc) : client.requestAllAsync(reqs, conc);
        if (call.has("cancel_after_ms")) {
          try {
            f.get(call.get("cancel_after_ms").asLong(), TimeUnit.MILLISECONDS);
          } catch (TimeoutException e) {
            f.cancel(true);
          } catch (ExecutionException e) {
            // finished before the cancel: its outcome is checked below
          }
        }
        try {
          o.value = f.join();
          assertTrue(!call.has("batch") || returnErrors, "requestAllAsync completed although a call failed");
        } catch (BatchCancelledException e) {
          o.value = new CancelledBatch(e.results());
        } catch (CancellationException e) {
          o.value = CANCELLED;
        } catch (CompletionException e) {
          throw EasClient.unwrap(e);
        }
      }
    } catch (EasException e) {
      o.value = e;
    }
    o.elapsedMs = (System.nanoTime() - t0) / 1_000_000;
    return o;
  }

  @SuppressWarnings("unchecked")
  static void checkOutcome(SpecCase c, Object got, String origin) {
    JsonNode want = c.ex("outcome");
    want.fieldNames().forEachRemaining(k -> assertTrue(Set.of("body", "attempts", "error", "status", "last_error",
        "results", "request_id", "service_url", "message_contains", "cancelled", "min_elapsed_s", "max_elapsed_s",
        "received", "bytes_received")
        .contains(k), "unknown outcome key " + k));
    if (want.path("cancelled").asBoolean(false)) {
      if (want.has("results")) {
        assertTrue(got instanceof CancelledBatch, "expected a cancelled batch with every outcome, got " + got);
        got = ((CancelledBatch) got).results;
      } else {
        assertTrue(got == CANCELLED, "expected the call to be cancelled, got " + got);
        return;
      }
    }
    assertTrue(got != CANCELLED && !(got instanceof CancelledBatch), "the call was cancelled");
    if (got instanceof StreamScenarios.Result) {
      StreamScenarios.check(want, got);
      return;
    }
    if (want.has("results")) {
      assertTrue(got instanceof List, "expected batch results, got " + got);
      List<EasResult> rs = (List<EasResult>) got;
      assertEquals(want.get("results").size(), rs.size(), "result count");
      for (int k = 0; k < rs.size(); k++) {
        JsonNode w = want.get("results").get(k);
        EasResult r = rs.get(k);
        if (w.path("cancelled").asBoolean(false)) {
          assertTrue(r.isCancelled(), "result " + k + " should be cancelled, got " + r);
          assertTrue(r.error() == null && !r.isSuccess(), "a cancelled item is neither a success nor an EAS error");
        } else if (w.has("error")) {
          assertNotNull(r.error(), "result " + k + " should fail");
          assertEquals(w.get("error").asText(), r.error().kind(), "result " + k);
          if (w.has("last_error")) {
            assertTrue(r.error().getCause() instanceof EasException, "result " + k + ": last error missing");
            assertEquals(w.get("last_error").asText(), ((EasException) r.error().getCause()).kind(), "result " + k);
          }
        } else {
          assertTrue(r.isSuccess(), "result " + k + " failed: " + r.error());
          SpecTest.assertBytes(SpecTest.bytes(w.get("body")), r.body(), "result " + k);
        }
      }
      return;
    }
    if (want.has("error")) {
      assertTrue(got instanceof EasException, "expected " + want.get("error").asText() + ", got " + got);
      EasException e = (EasException) got;
      assertEquals(want.get("error").asText(), e.kind(), e.getMessage());
      if (want.has("status")) {
        assertTrue(e instanceof EasStatusException, "status error expected");
        assertEquals(want.get("status").asInt(), ((EasStatusException) e).status());
      }
      if (want.has("last_error")) {
        assertTrue(e.getCause() instanceof EasException, "last error missing");
        assertEquals(want.get("last_error").asText(), ((EasException) e.getCause()).kind());
      }
      if (want.has("attempts")) {
        assertEquals(want.get("attempts").asInt(), e.attempts(), "attempts");
      }
      if (want.has("request_id")) {
        assertTrue(e instanceof EasStatusException, "status error expected");
        assertEquals(want.get("request_id").asText(), ((EasStatusException) e).requestId(), "request id");
      }
      if (want.has("service_url")) {
        assertEquals(want.get("service_url").asText().replace("{origin}", origin), e.url(), "service URL");
      }
      for (JsonNode m : want.path("message_contains")) {
        assertTrue(e.getMessage().contains(m.asText()), "message lacks " + m + ": " + e.getMessage());
      }
      return;
    }
    if (got instanceof EasException) {
      throw new AssertionError("call failed: " + got, (EasException) got);
    }
    EasResponse r = (EasResponse) got;
    SpecTest.assertBytes(SpecTest.bytes(want.get("body")), r.body(), "response body");
    if (want.has("attempts")) {
      assertEquals(want.get("attempts").asInt(), r.attempts(), "attempts");
    }
  }

  static void checkRequests(JsonNode want, List<ScriptedServer.Seen> seen, String token, boolean unordered) {
    assertEquals(want.size(), seen.size(), "number of requests");
    if (unordered) {
      // Pair by body: sort both sides by the body's bytes.
      List<JsonNode> w = new ArrayList<>();
      want.forEach(w::add);
      w.sort(Comparator.comparing(n -> n.has("body") ? SpecTest.hex(SpecTest.bytes(n.get("body"))) : ""));
      seen = new ArrayList<>(seen);
      seen.sort(Comparator.comparing(s -> SpecTest.hex(s.body)));
      want = SpecTest.JSON.valueToTree(w);
    }
    for (int k = 0; k < want.size(); k++) {
      JsonNode w = want.get(k);
      ScriptedServer.Seen s = seen.get(k);
      String at = "request " + k + " ";
      assertEquals(w.get("method").asText(), s.method, at + "method");
      assertEquals(w.get("path").asText(), s.path, at + "path");
      if (w.has("query")) {
        assertEquals(w.get("query").asText(), s.query, at + "query");
      }
      w.path("headers").fields().forEachRemaining(e -> {
        if (e.getValue().isNull()) {
          assertNull(s.headers.get(e.getKey().toLowerCase()), at + "header " + e.getKey() + " must be absent");
        } else {
          assertEquals(e.getValue().asText(), s.headers.get(e.getKey().toLowerCase()), at + "header " + e.getKey());
        }
      });
      if (w.has("body")) {
        SpecTest.assertBytes(SpecTest.bytes(w.get("body")), s.body, at + "body");
      }
      if (w.has("connection")) {
        assertEquals(w.get("connection").asInt(), s.connection, at + "connection number");
      }
      if (w.has("signature_valid")) {
        assertEquals(w.get("signature_valid").asBoolean(), signatureValid(s, token), at + "signature");
      }
    }
  }

  static boolean signatureValid(ScriptedServer.Seen s, String token) {
    String md5 = s.headers.get("content-md5");
    String date = s.headers.get("date");
    String ct = s.headers.get("content-type");
    String auth = s.headers.get("authorization");
    if (token == null || md5 == null || date == null || ct == null || auth == null) {
      return false;
    }
    return md5.equals(Auth.contentMd5(s.body))
        && auth.equals(Auth.authorization(token, Auth.stringToSign(md5, ct, date, s.path)));
  }

}
