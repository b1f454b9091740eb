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

/** Scenario cases: scripted servers on 127.0.0.1, a client built from input.client with jitter fixed at 0. */
final class Scenarios {
  private static final Set<String> CLIENT_KEYS = Set.of("token", "service_name", "auth", "backoff_base", "backoff_max",
      "retry_after_cap", "max_retries", "timeout", "connect_timeout", "retry_statuses", "retry_errors", "deadline",
      "endpoint_type", "discovery_refresh", "eject_for", "endpoint_path", "headers");
  private static final Set<String> CALL_KEYS = Set.of("data", "path", "params", "headers", "timeout", "max_retries",
      "batch", "concurrency", "return_exceptions");
  private static final Set<String> REPLY_KEYS = Set.of("status", "headers", "body", "delay_ms", "reset", "items");

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

  static void run(SpecCase c) {
    List<ScriptedServer> instances = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    ScriptedServer main = null;
    EasClient client = null;
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
        main = new ScriptedServer(disc, seen -> text(500, "scripted discovery: no reply left"));
        endpoint = main.origin();
      } else {
        main = new ScriptedServer(replies(c.in("replies")), seen -> text(599, "scripted server: no reply left"));
        endpoint = main.origin() + cl.path("endpoint_path").asText("");
      }
      client = build(cl, endpoint, direct);
      JsonNode call = c.in("call");
      call.fieldNames().forEachRemaining(k -> assertTrue(CALL_KEYS.contains(k), "unknown call key " + k));
      Object outcome = perform(client, call);
      checkOutcome(c, outcome);
      List<ScriptedServer.Seen> seen = new ArrayList<>();
      if (direct) {
        for (ScriptedServer s : instances) {
          if (s != null) {
            seen.addAll(s.seen());
          }
        }
        seen.sort(Comparator.comparingLong(s -> s.seq));
      } else {
        seen = main.seen();
      }
      if (c.hasEx("requests")) {
        checkRequests(c.ex("requests"), seen, Vectors.textOrNull(cl.path("token")));
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
        for (ScriptedServer.Seen s : main.seen()) {
          assertEquals("GET", s.method);
          assertEquals("/api/v1/servicediscovery/upstreams/" + cl.path("service_name").asText(), s.path);
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
    } finally {
      if (client != null) {
        client.close();
      }
      closeQuietly(main);
      instances.forEach(Scenarios::closeQuietly);
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

  static EasClient build(JsonNode cl, String endpoint, boolean direct) {
    EasClient.Builder b = EasClient.builder().endpoint(endpoint).environment(k -> null).jitter(() -> 0.0)
        .token(Vectors.textOrNull(cl.path("token"))).serviceName(Vectors.textOrNull(cl.path("service_name")))
        .signatureAuth("signature".equals(cl.path("auth").asText("raw"))).directMode(direct);
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
    return b.build();
  }

  static EasRequest request(JsonNode call, JsonNode data) {
    EasRequest.Builder r = EasRequest.builder();
    Payload p = Vectors.payload(data);
    switch (p.kind) {
      case TEXT: r.text(new String(p.body, StandardCharsets.UTF_8)); break;
      case JSON: r.json(SpecTest.JSON.convertValue(data.get("json"), Object.class)); break;
      case TF: r.tf(Payloads.tfRequest(data.get("tf_request"))); break;
      case TORCH: r.torch(Payloads.torchRequest(data.get("torch_request"))); break;
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

  /** Runs the call; returns an EasResponse, a List of EasResult, or the thrown EasException. */
  static Object perform(EasClient client, JsonNode call) {
    try {
      if (call.has("batch")) {
        List<EasRequest> reqs = new ArrayList<>();
        call.get("batch").forEach(d -> reqs.add(request(call, d)));
        int conc = call.path("concurrency").asInt(16);
        if (!call.path("return_exceptions").asBoolean(true)) {
          client.requestAll(reqs, conc);
          fail("requestAll returned although a call failed");
        }
        return client.requestMany(reqs, conc);
      }
      return client.request(request(call, call.get("data")));
    } catch (EasException e) {
      return e;
    }
  }

  @SuppressWarnings("unchecked")
  static void checkOutcome(SpecCase c, Object got) {
    JsonNode want = c.ex("outcome");
    if (want.has("results")) {
      assertTrue(got instanceof List, "expected batch results, got " + got);
      List<EasResult> rs = (List<EasResult>) got;
      assertEquals(want.get("results").size(), rs.size(), "result count");
      for (int k = 0; k < rs.size(); k++) {
        JsonNode w = want.get("results").get(k);
        EasResult r = rs.get(k);
        if (w.has("error")) {
          assertNotNull(r.error(), "result " + k + " should fail");
          assertEquals(w.get("error").asText(), r.error().kind(), "result " + k);
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

  static void checkRequests(JsonNode want, List<ScriptedServer.Seen> seen, String token) {
    assertEquals(want.size(), seen.size(), "number of requests");
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
