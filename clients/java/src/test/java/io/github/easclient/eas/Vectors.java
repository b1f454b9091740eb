package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Handlers for the pure-function vector files. */
final class Vectors {
  private Vectors() {}

  static String textOrNull(JsonNode n) {
    return n.isMissingNode() || n.isNull() ? null : n.asText();
  }

  static List<Map.Entry<String, Object>> pairs(JsonNode params) {
    List<Map.Entry<String, Object>> out = new ArrayList<>();
    for (JsonNode p : params) {
      JsonNode v = p.get(1);
      Object value = v.isNull() ? null : v.isBoolean() ? (Object) v.asBoolean()
          : v.isIntegralNumber() ? (Object) v.asLong() : v.isNumber() ? (Object) v.asDouble() : v.asText();
      out.add(new java.util.AbstractMap.SimpleImmutableEntry<>(p.get(0).asText(), value));
    }
    return out;
  }

  static void endpoint(SpecCase c) {
    String ep = textOrNull(c.in("endpoint"));
    String svc = textOrNull(c.in("service_name"));
    String path = textOrNull(c.in("path"));
    List<Map.Entry<String, Object>> params = pairs(c.in("params"));
    if (c.hasEx("error")) {
      SpecTest.expectKind(c.ex("error").asText(), () -> {
        Endpoint e = Endpoint.parse(ep, svc);
        e.url(path, params);
      });
      return;
    }
    Endpoint e = Endpoint.parse(ep, svc);
    assertEquals(c.ex("url").asText(), e.url(path, params), "url");
    assertEquals(c.ex("sign_path").asText(), e.path(path), "sign_path");
    assertEquals(textOrNull(c.ex("service")), e.service, "service");
  }

  /** A client with no environment fallbacks, for header and redaction vectors. */
  static EasClient.Builder client(String token) {
    return EasClient.builder().endpoint("http://127.0.0.1:9/api/predict/demo").token(token).environment(k -> null);
  }

  /** The data forms of headers.json (§10 of protocol.md: text_escaped, invalid_text_hex, nonfinite_json, unsupported, tensor). */
  static Payload payload(JsonNode data) {
    if (data.has("hex")) {
      return Payload.bytes(SpecTest.hex(data.get("hex").asText()));
    }
    if (data.has("text")) {
      return Payload.text(data.get("text").asText());
    }
    if (data.has("text_escaped")) {
      return Payload.text(unescape(data.get("text_escaped").asText()));
    }
    if (data.has("json")) {
      return Payload.json(SpecTest.JSON.convertValue(data.get("json"), new TypeReference<Object>() {}));
    }
    if (data.has("invalid_text_hex")) {
      return Payload.text(wtf8(SpecTest.hex(data.get("invalid_text_hex").asText())));
    }
    if (data.has("nonfinite_json")) {
      String v = data.get("nonfinite_json").asText();
      double d = v.equals("NaN") ? Double.NaN : v.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      return Payload.json(new ArrayList<>(List.of(d)));
    }
    if (data.has("unsupported")) {
      // Spec v2's Java form of "a value of a type the client does not send".
      return Payload.of(new Object());
    }
    if (data.has("tensor")) {
      JsonNode t = data.get("tensor");
      return t.path("kind").asText().equals("torch_request") ? Payload.torch(Payloads.torchRequest(t))
          : Payload.tf(Payloads.tfRequest(t));
    }
    if (data.has("tf_request")) {
      return Payload.tf(Payloads.tfRequest(data.get("tf_request")));
    }
    if (data.has("torch_request")) {
      return Payload.torch(Payloads.torchRequest(data.get("torch_request")));
    }
    throw new AssertionError("unknown data form " + data);
  }

  /** WTF-8 (UTF-8 that may encode lone surrogates) to the UTF-16 string a Java caller would hold. */
  static String wtf8(byte[] b) {
    StringBuilder out = new StringBuilder();
    for (int k = 0; k < b.length;) {
      int c = b[k] & 0xff;
      int n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
      int cp = n == 1 ? c : c & (0xff >> (n + 1));
      for (int j = 1; j < n; j++) {
        cp = (cp << 6) | (b[k + j] & 0x3f);
      }
      out.appendCodePoint(cp);
      k += n;
    }
    return out.toString();
  }

  /** Python-style \\uXXXX escapes to chars (so a lone surrogate can be written in JSON). */
  static String unescape(String s) {
    StringBuilder b = new StringBuilder();
    for (int k = 0; k < s.length(); k++) {
      if (s.charAt(k) == '\\' && k + 6 <= s.length() && s.charAt(k + 1) == 'u') {
        b.append((char) Integer.parseInt(s.substring(k + 2, k + 6), 16));
        k += 5;
      } else {
        b.append(s.charAt(k));
      }
    }
    return b.toString();
  }

  static Map<String, String> stringMap(JsonNode n) {
    Map<String, String> m = new LinkedHashMap<>();
    n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
    return m;
  }

  static void headers(SpecCase c) {
    String token = textOrNull(c.in("token"));
    boolean signed = "signature".equals(textOrNull(c.in("auth")));
    JsonNode data = c.in("data");
    Map<String, String> clientHeaders = stringMap(c.in("client_headers"));
    Map<String, String> callHeaders = stringMap(c.in("headers"));
    Runnable[] run = new Runnable[1];
    List<Map.Entry<String, String>>[] sent = newList();
    Payload[] p = new Payload[1];
    run[0] = () -> {
      String userAgent = textOrNull(c.in("user_agent"));
      try (EasClient client = client(token).signatureAuth(signed).headers(clientHeaders).userAgent(userAgent).build()) {
        p[0] = payload(data);
        sent[0] = Headers.build(client.userAgent, client.token(), client.signed, p[0], client.headers,
            Headers.check(callHeaders, client.token() != null, "call"), client.endpoint.path, Instant.EPOCH);
      }
    };
    if (c.hasEx("error")) {
      SpecTest.expectKind(c.ex("error").asText(), run[0]);
      return;
    }
    run[0].run();
    Map<String, String> got = new TreeMap<>();
    for (Map.Entry<String, String> h : sent[0]) {
      assertFalse(got.containsKey(h.getKey().toLowerCase()), "header " + h.getKey() + " sent twice");
      got.put(h.getKey().toLowerCase(), h.getValue());
    }
    assertTrue(got.get("user-agent").startsWith("eas-client-"), "User-Agent prefix (HDR-1)");
    if (c.hasEx("user_agent_appended")) {
      assertEquals(Defaults.USER_AGENT + " " + c.ex("user_agent_appended").asText(), got.get("user-agent"),
          "User-Agent appended (HDR-1)");
    }
    c.ex("headers").fields().forEachRemaining(e -> assertEquals(e.getValue().asText(), got.get(e.getKey()),
        "header " + e.getKey()));
    for (JsonNode a : c.ex("absent")) {
      assertNull(got.get(a.asText()), "header " + a.asText() + " must be absent");
    }
    if (c.hasEx("body")) {
      SpecTest.assertBytes(SpecTest.bytes(c.ex("body")), p[0].body, "body");
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static List<Map.Entry<String, String>>[] newList() {
    return new List[1];
  }

  static void authHmac(SpecCase c) {
    String token = c.in("token").asText();
    byte[] body = SpecTest.bytes(c.in("body"));
    String ct = c.in("content_type").asText();
    Instant now = Instant.ofEpochMilli((long) Math.floor(c.in("now").asDouble() * 1000));
    String path = c.in("path").asText();
    String md5 = Auth.contentMd5(body);
    String date = Auth.date(now);
    String sts = Auth.stringToSign(md5, ct, date, path);
    assertEquals(c.ex("content_md5").asText(), md5, "Content-MD5");
    assertEquals(c.ex("date").asText(), date, "Date");
    assertEquals(c.ex("string_to_sign").asText(), sts, "string to sign");
    assertEquals(c.ex("authorization").asText(), Auth.authorization(token, sts), "Authorization");
  }

  /** Each expected default that the case lists (one case may list them all, another only one). */
  static void defaults(SpecCase c) {
    if (c.hasEx("budget_ratio")) {
      BackpressureVectors.defaults(c);
      return;
    }
    Map<String, Double> seconds = new LinkedHashMap<>();
    seconds.put("timeout_s", RetryPolicy.seconds(Defaults.TIMEOUT));
    seconds.put("connect_timeout_s", RetryPolicy.seconds(Defaults.CONNECT_TIMEOUT));
    seconds.put("backoff_base_s", RetryPolicy.seconds(Defaults.BACKOFF_BASE));
    seconds.put("backoff_max_s", RetryPolicy.seconds(Defaults.BACKOFF_MAX));
    seconds.put("retry_after_cap_s", RetryPolicy.seconds(Defaults.RETRY_AFTER_CAP));
    seconds.put("discovery_refresh_s", RetryPolicy.seconds(Defaults.DISCOVERY_REFRESH));
    seconds.put("eject_for_s", RetryPolicy.seconds(Defaults.EJECT_FOR));
    for (Map.Entry<String, Double> e : seconds.entrySet()) {
      if (c.hasEx(e.getKey())) {
        assertEquals(c.ex(e.getKey()).asDouble(), e.getValue(), e.getKey());
      }
    }
    if (c.hasEx("max_retries")) {
      assertEquals(c.ex("max_retries").asInt(), Defaults.MAX_RETRIES);
    }
    if (c.hasEx("deadline_s")) {
      assertTrue(c.ex("deadline_s").isNull());
      assertFalse(RetryPolicy.defaults().hasDeadline(), "no deadline by default");
    }
    if (c.hasEx("retry_statuses")) {
      Set<Integer> statuses = new HashSet<>();
      c.ex("retry_statuses").forEach(n -> statuses.add(n.asInt()));
      assertEquals(statuses, Defaults.RETRY_STATUSES);
    }
    if (c.hasEx("retry_errors")) {
      Set<String> errors = new HashSet<>();
      c.ex("retry_errors").forEach(n -> errors.add(n.asText()));
      assertEquals(errors, Defaults.RETRY_ERRORS);
    }
    if (c.hasEx("concurrency")) {
      assertEquals(c.ex("concurrency").asInt(), Defaults.CONCURRENCY);
    }
    if (c.hasEx("max_response_bytes")) {
      assertEquals(c.ex("max_response_bytes").asLong(), Defaults.MAX_RESPONSE_BYTES);
    }
    if (c.hasEx("stream_max_line_bytes")) {
      assertEquals(c.ex("stream_max_line_bytes").asLong(), Defaults.STREAM_MAX_LINE_BYTES);
    }
    if (c.hasEx("stream_accept")) {
      assertEquals(c.ex("stream_accept").asText(), Defaults.STREAM_ACCEPT);
    }
    if (c.hasEx("return_exceptions")) {
      // predictMany returns every outcome (the default); requestAll is the stop-at-first-failure form.
      assertTrue(c.ex("return_exceptions").asBoolean(), "Java's predictMany returns every outcome");
    }
    // The builder's defaults are these constants.
    try (EasClient client = client(null).build()) {
      assertEquals(Defaults.TIMEOUT, client.timeout);
      assertEquals(Defaults.CONNECT_TIMEOUT, client.connectTimeout);
      assertEquals(Defaults.MAX_RETRIES, client.policy.maxRetries);
      assertEquals(Defaults.CONCURRENCY, client.concurrency);
      assertEquals(Defaults.DISCOVERY_REFRESH, client.discoveryRefresh);
      assertEquals(Defaults.MAX_RESPONSE_BYTES, client.maxResponseBytes);
    }
  }

  static void redaction(SpecCase c) {
    String what = c.in("what").asText();
    String token = textOrNull(c.in("token"));
    switch (what) {
      case "client_repr": {
        try (EasClient client = client(token).build()) {
          String s = client.toString();
          assertFalse(s.contains(c.ex("absent").asText()), s);
          assertTrue(s.contains(c.ex("contains").asText()), s);
        }
        return;
      }
      case "status_error": {
        byte[] body = SpecTest.bytes(c.in("body"));
        EasStatusException e = Errors.forStatus(c.in("status").asInt(), body, null, "demo",
            "http://127.0.0.1:9/api/predict/demo", 1, token);
        String all = e.getMessage() + "\n" + e + "\n" + new String(e.body(), StandardCharsets.UTF_8);
        assertFalse(all.contains(c.ex("absent").asText()), all);
        assertTrue(e.getMessage().contains(c.ex("contains").asText()), e.getMessage());
        return;
      }
      case "headers": {
        List<Map.Entry<String, String>> in = new ArrayList<>();
        c.in("headers").forEach(h -> in.add(Map.entry(h.get(0).asText(), h.get(1).asText())));
        List<Map.Entry<String, String>> out = Redact.headers(in);
        List<Map.Entry<String, String>> want = new ArrayList<>();
        c.ex("headers").forEach(h -> want.add(Map.entry(h.get(0).asText(), h.get(1).asText())));
        assertEquals(want, out);
        return;
      }
      case "config_error": {
        EasException e = SpecTest.expectKind(c.ex("error").asText(), () -> client(token).build());
        String secret = c.ex("absent").asText();
        assertFalse(e.getMessage().contains(secret) || e.toString().contains(secret), e.toString());
        return;
      }
      case "caller_headers": {
        Map<String, String> mine = new LinkedHashMap<>(stringMap(c.in("headers")));
        Map<String, String> before = new LinkedHashMap<>(mine);
        try (EasClient client = client(token).headers(mine).build()) {
          Headers.build(client.userAgent, client.token(), false, Payload.bytes(new byte[1]), client.headers,
              Headers.check(mine, true, "call"), "/api/predict/demo", Instant.EPOCH);
        }
        assertEquals(before, mine);
        assertEquals(stringMap(c.ex("headers_after")), mine);
        return;
      }
      default:
        throw new AssertionError("redaction: unknown 'what' " + what);
    }
  }

  /** A policy from the defaults with a vector's overrides. */
  static RetryPolicy policy(JsonNode p) {
    RetryPolicy d = RetryPolicy.defaults();
    Set<Integer> statuses = d.retryStatuses;
    if (p.has("retry_statuses")) {
      statuses = new HashSet<>();
      for (JsonNode n : p.get("retry_statuses")) {
        statuses.add(n.asInt());
      }
    }
    Set<String> errors = d.retryErrors;
    if (p.has("retry_errors")) {
      errors = new HashSet<>();
      for (JsonNode n : p.get("retry_errors")) {
        errors.add(n.asText());
      }
    }
    List<String> known = List.of("retry_statuses", "retry_errors", "max_retries", "backoff_base", "backoff_max",
        "retry_after_cap", "deadline");
    p.fieldNames().forEachRemaining(k -> assertTrue(known.contains(k), "unknown policy key " + k));
    return new RetryPolicy(p.path("max_retries").asInt(d.maxRetries), p.path("backoff_base").asDouble(d.backoffBase),
        p.path("backoff_max").asDouble(d.backoffMax), p.path("retry_after_cap").asDouble(d.retryAfterCap),
        p.has("deadline") && !p.get("deadline").isNull() ? p.get("deadline").asDouble() : -1, statuses, errors);
  }

  static void backoff(SpecCase c) {
    double got = Retry.backoff(policy(c.in("policy")), c.in("retry").asInt(), c.in("rand").asDouble());
    assertEquals(c.ex("delay").asDouble(), got, 1e-9);
  }

  static void retryAfter(SpecCase c) {
    Double got = Retry.retryAfterSeconds(textOrNull(c.in("value")), c.in("now").asDouble());
    if (c.ex("seconds").isNull()) {
      assertNull(got);
    } else {
      assertEquals(c.ex("seconds").asDouble(), got, 1e-9);
    }
  }

  static void retryDecision(SpecCase c) {
    Retry.Decision d = Retry.decide(policy(c.in("policy")), c.in("attempts").asInt(), c.in("status").asInt(0),
        textOrNull(c.in("error")), textOrNull(c.in("retry_after")), c.in("elapsed").asDouble(),
        c.in("rand").asDouble(), c.in("now").asDouble());
    assertEquals(c.ex("action").asText(), d.action.name().toLowerCase(), d.reason);
    if (c.hasEx("delay")) {
      assertEquals(c.ex("delay").asDouble(), d.delay, 1e-9);
    }
    assertEquals(c.ex("deadline_hit").asBoolean(false), d.deadlineHit, "deadline_hit");
  }

  static void errorMapping(SpecCase c) {
    Map<String, List<String>> h = new LinkedHashMap<>();
    c.in("headers").fields().forEachRemaining(e -> h.put(e.getKey(), List.of(e.getValue().asText())));
    byte[] body = c.hasIn("body") ? SpecTest.bytes(c.in("body")) : new byte[0];
    String service = c.hasIn("service") ? c.in("service").asText() : "demo";
    EasStatusException e = Errors.forStatus(c.in("status").asInt(), body,
        Errors.requestId(HttpHeaders.of(h, (a, b) -> true)), service, "http://h/api/predict/" + service, 1, null);
    assertEquals(c.ex("error").asText(), e.kind());
    assertEquals(c.in("status").asInt(), e.status());
    if (c.hasEx("message_prefix")) {
      assertTrue(e.getMessage().startsWith(c.ex("message_prefix").asText()), e.getMessage());
    }
    if (c.hasEx("request_id")) {
      assertEquals(textOrNull(c.ex("request_id")), e.requestId());
    }
    if (c.hasEx("body_length")) {
      assertEquals(c.ex("body_length").asInt(), e.body().length);
    }
  }

  static void discoveryParse(SpecCase c) {
    byte[] body = SpecTest.bytes(c.in("body"));
    String service = c.in("service").asText();
    if (c.hasEx("error")) {
      SpecTest.expectKind(c.ex("error").asText(), () -> Discovery.parse(body, service));
      return;
    }
    List<String> got = new ArrayList<>();
    for (Discovery.Instance i : Discovery.parse(body, service)) {
      got.add(i.ip + "," + i.port + "," + i.weight);
    }
    List<String> want = new ArrayList<>();
    c.ex("instances").forEach(i -> want.add(i.get(0).asText() + "," + i.get(1).asInt() + "," + i.get(2).asInt()));
    assertEquals(want, got);
  }

  static List<Discovery.Instance> instances(JsonNode list) {
    List<Discovery.Instance> out = new ArrayList<>();
    list.forEach(i -> out.add(new Discovery.Instance(i.get(0).asText(), i.get(1).asInt(), i.get(2).asInt())));
    return out;
  }

  static void hostPick(SpecCase c) {
    Balancer b = new Balancer(instances(c.in("instances")), c.in("eject_for").asDouble());
    List<String> picks = new ArrayList<>();
    Map<String, Integer> counts = new TreeMap<>();
    for (JsonNode op : c.in("ops")) {
      if (op.has("pick")) {
        JsonNode p = op.get("pick");
        picks.add(b.pick(p.get("now").asDouble(), textOrNull(p.path("exclude"))).key());
      } else if (op.has("picks")) {
        for (int k = 0; k < op.get("picks").asInt(); k++) {
          counts.merge(b.pick(op.get("now").asDouble(), null).key(), 1, Integer::sum);
        }
      } else if (op.has("eject")) {
        b.eject(op.get("eject").asText(), op.get("now").asDouble());
      } else if (op.has("succeed")) {
        b.succeed(op.get("succeed").asText());
      } else if (op.has("update")) {
        b.update(instances(op.get("update")));
      } else {
        throw new AssertionError("unknown op " + op);
      }
    }
    if (c.hasEx("picks")) {
      List<String> want = new ArrayList<>();
      c.ex("picks").forEach(n -> want.add(n.asText()));
      assertEquals(want, picks);
    }
    if (c.hasEx("counts")) {
      Map<String, Integer> want = new TreeMap<>();
      c.ex("counts").fields().forEachRemaining(e -> want.put(e.getKey(), e.getValue().asInt()));
      assertEquals(want, counts);
    }
  }

  /** ERR-4: each kind is a Java class; "is" must be assignable, "is_not" must not. */
  static final Map<String, Class<?>> KINDS = new LinkedHashMap<>();

  static {
    KINDS.put("EASError", EasException.class);
    KINDS.put("ConfigError", EasConfigException.class);
    KINDS.put("PayloadError", PayloadException.class);
    KINDS.put("DiscoveryError", DiscoveryException.class);
    KINDS.put("DeadlineExceededError", DeadlineExceededException.class);
    KINDS.put("TransportError", EasTransportException.class);
    KINDS.put("ConnectError", EasConnectException.class);
    KINDS.put("ReadError", EasReadException.class);
    KINDS.put("ReadTimeoutError", EasReadTimeoutException.class);
    KINDS.put("StatusError", EasStatusException.class);
    KINDS.put("BadRequestError", BadRequestException.class);
    KINDS.put("AuthenticationError", AuthenticationException.class);
    KINDS.put("PermissionDeniedError", PermissionDeniedException.class);
    KINDS.put("NotFoundError", NotFoundException.class);
    KINDS.put("ServerTimeoutError", ServerTimeoutException.class);
    KINDS.put("RateLimitError", RateLimitException.class);
    KINDS.put("QueueFullError", QueueFullException.class);
    KINDS.put("ServerError", ServerException.class);
    KINDS.put("InternalServerError", InternalServerException.class);
    KINDS.put("BadGatewayError", BadGatewayException.class);
    KINDS.put("ServiceUnavailableError", ServiceUnavailableException.class);
    KINDS.put("GatewayTimeoutError", GatewayTimeoutException.class);
    KINDS.put("ResponseTooLargeError", ResponseTooLargeException.class);
    KINDS.put("StreamError", StreamException.class);
    KINDS.put("StreamReadError", StreamReadException.class);
    KINDS.put("StreamTimeoutError", StreamTimeoutException.class);
    KINDS.put("StreamIncompleteError", StreamIncompleteException.class);
    KINDS.put("StreamProtocolError", StreamProtocolException.class);
    KINDS.put("StreamContentTypeError", StreamContentTypeException.class);
    KINDS.put("StreamEventError", StreamEventException.class);
  }

  static Class<?> kindClass(String kind) {
    Class<?> k = KINDS.get(kind);
    if (k == null) {
      throw new AssertionError("no Java class for error kind " + kind);
    }
    return k;
  }

  static void errorKinds(SpecCase c) {
    Class<?> error = kindClass(c.in("error").asText());
    for (JsonNode is : c.ex("is")) {
      assertTrue(kindClass(is.asText()).isAssignableFrom(error), error.getSimpleName() + " is a " + is.asText());
    }
    for (JsonNode not : c.ex("is_not")) {
      assertFalse(kindClass(not.asText()).isAssignableFrom(error), error.getSimpleName() + " is not a " + not.asText());
    }
  }

  /** attempt_bounds.json: decision cases as retry_decision.json; option cases build a client. */
  static void attemptBounds(SpecCase c) {
    if (!c.hasIn("max_response_bytes")) {
      retryDecision(c);
      return;
    }
    JsonNode v = c.in("max_response_bytes");
    if (!v.isNull() && !v.isIntegralNumber()) {
      throw new AssertionError("maxResponseBytes(Long) cannot take " + v + " in Java (list the case as not applicable)");
    }
    Long cap = v.isNull() ? null : v.asLong();
    if (c.hasEx("error")) {
      SpecTest.expectKind(c.ex("error").asText(), () -> client(null).maxResponseBytes(cap).build());
      return;
    }
    try (EasClient client = client(null).maxResponseBytes(cap).build()) {
      JsonNode want = c.ex("max_response_bytes");
      assertEquals(want.isNull() ? 0L : want.asLong(), client.maxResponseBytes, "maxResponseBytes (0: no limit)");
    }
  }

  /** header_checks.json: endpoint-shaped inputs as endpoint.json, the others as headers.json. */
  static void headerChecks(SpecCase c) {
    if (c.hasIn("endpoint")) {
      String ep = textOrNull(c.in("endpoint"));
      String svc = textOrNull(c.in("service_name"));
      if (c.hasEx("error")) {
        SpecTest.expectKind(c.ex("error").asText(), () -> client(null).endpoint(ep).serviceName(svc).build().close());
        return;
      }
      try (EasClient client = client(null).endpoint(ep).serviceName(svc).build()) {
        assertEquals(c.ex("url").asText(), client.endpoint.url(null, List.of()));
      }
      return;
    }
    headers(c);
  }

  /** redaction_order.json (SEC-3, SEC-4). */
  static void redactionOrder(SpecCase c) {
    String token = c.in("token").asText();
    if ("client_vars".equals(textOrNull(c.in("what")))) {
      boolean signed = "signature".equals(c.in("auth").asText());
      try (EasClient client = client(token).signatureAuth(signed).build()) {
        StringBuilder all = new StringBuilder(client.toString());
        for (java.lang.reflect.Field f : EasClient.class.getDeclaredFields()) {
          if (java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
            continue;
          }
          try {
            f.setAccessible(true);
            all.append('\n').append(f.getName()).append('=').append(f.get(client));
          } catch (IllegalAccessException e) {
            throw new AssertionError(e);
          }
        }
        for (JsonNode a : c.ex("absent")) {
          assertFalse(all.toString().contains(a.asText()), "the client's fields show " + a);
        }
      }
      return;
    }
    Map<String, List<String>> h = new LinkedHashMap<>();
    c.in("headers").fields().forEachRemaining(e -> h.put(e.getKey(), List.of(e.getValue().asText())));
    HttpHeaders hh = HttpHeaders.of(h, (a, b) -> true);
    EasStatusException e = Errors.forStatus(c.in("status").asInt(), SpecTest.bytes(c.in("body")), Errors.requestId(hh),
        "demo", "http://127.0.0.1:9/api/predict/demo", 1, token, hh);
    String body = new String(e.body(), StandardCharsets.UTF_8);
    String all = e.getMessage() + "\n" + e + "\n" + body + "\n" + e.headers() + "\n" + e.requestId();
    for (JsonNode a : c.ex("absent")) {
      assertFalse(all.contains(a.asText()), "the error shows " + a + ": " + all);
    }
    if (c.hasEx("message_contains")) {
      assertTrue(e.getMessage().contains(c.ex("message_contains").asText()), e.getMessage());
    }
    if (c.hasEx("body")) {
      SpecTest.assertBytes(SpecTest.bytes(c.ex("body")), e.body(), "body excerpt");
    }
    if (c.hasEx("headers")) {
      c.ex("headers").fields().forEachRemaining(w -> assertEquals(List.of(w.getValue().asText()),
          e.headers().get(w.getKey()), "header " + w.getKey()));
    }
    if (c.hasEx("request_id")) {
      assertEquals(textOrNull(c.ex("request_id")), e.requestId());
    }
  }

  static Duration seconds(JsonNode n) {
    return Duration.ofNanos(Math.round(n.asDouble() * 1e9));
  }
}
