package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** Client behaviour beyond the shared spec, over real sockets on 127.0.0.1. */
class EasClientTest {
  private static final String TOKEN = "sk-test-0123456789";

  private static ScriptedServer server(ScriptedServer.Reply... replies) throws Exception {
    return new ScriptedServer(List.of(replies), seen -> Scenarios.text(200, "ok"));
  }

  private static ScriptedServer.Reply reply(int status, String body) {
    return Scenarios.text(status, body);
  }

  private static EasClient.Builder builder(String endpoint) {
    return EasClient.builder().endpoint(endpoint).token(TOKEN).environment(k -> null).jitter(() -> 0.0)
        .backoffBase(Duration.ofMillis(1));
  }

  @Test
  void oneLinerSendsTextWithTheRawToken() throws Exception {
    try (ScriptedServer s = server(reply(200, "True"));
        EasClient client = EasClient.create(s.origin() + "/api/predict/demo", TOKEN)) {
      assertEquals("True", client.predict("2 105"));
      ScriptedServer.Seen seen = s.seen().get(0);
      assertEquals("POST", seen.method);
      assertEquals("/api/predict/demo", seen.path);
      assertEquals(TOKEN, seen.headers.get("authorization"));
      assertEquals("text/plain; charset=utf-8", seen.headers.get("content-type"));
      assertTrue(seen.headers.get("user-agent").startsWith("eas-client-java/"));
      assertArrayEquals("2 105".getBytes(StandardCharsets.UTF_8), seen.body);
    }
  }

  @Test
  void environmentFillsEndpointTokenAndServiceName() throws Exception {
    try (ScriptedServer s = server(reply(200, "x"), reply(200, "y"))) {
      Map<String, String> env = Map.of("EAS_ENDPOINT", s.origin(), "EAS_TOKEN", "env-token-12345",
          "EAS_SERVICE_NAME", "svc");
      try (EasClient client = EasClient.builder().environment(env::get).build()) {
        client.predict(new byte[] {1});
      }
      try (EasClient client = EasClient.builder().environment(k -> k.equals("EAS_TOKEN") ? "" : env.get(k)).build()) {
        client.predict(new byte[] {1});
      }
      assertEquals("/api/predict/svc", s.seen().get(0).path);
      assertEquals("env-token-12345", s.seen().get(0).headers.get("authorization"));
      assertNull(s.seen().get(1).headers.get("authorization"), "an empty EAS_TOKEN means no token");
    }
  }

  @Test
  void configErrorsNameTheFixAndNeverTheToken() {
    EasConfigException e = assertThrows(EasConfigException.class,
        () -> EasClient.builder().environment(k -> null).build());
    assertTrue(e.getMessage().contains("EAS_ENDPOINT"), e.getMessage());
    e = assertThrows(EasConfigException.class,
        () -> builder("http://h/api/predict/x").token("sekret-value\n").build());
    assertFalse(e.getMessage().contains("sekret"), e.getMessage());
    assertThrows(EasConfigException.class, () -> builder("http://h/api/predict/x").token("").build());
    assertThrows(EasConfigException.class, () -> builder("http://h/api/predict/x").token(null).signatureAuth(true).build());
    assertThrows(EasConfigException.class, () -> builder("http://h/api/predict/x").timeout(Duration.ZERO).build());
    assertThrows(EasConfigException.class, () -> builder("http://h/api/predict/x").maxRetries(-1).build());
    assertThrows(EasConfigException.class, () -> builder("http://h/api/predict/x").concurrency(0).build());
    assertThrows(EasConfigException.class, () -> builder("http://h/api/predict/x").retryErrors(Set.of("dns")).build());
    assertThrows(EasConfigException.class, () -> builder("http://h/api/predict/x").header("Authorization", "x").build());
    assertThrows(EasConfigException.class, () -> builder("http://h/api/predict/x").header("X-A", "1\r\nX-B: 2").build());
    assertThrows(EasConfigException.class, () -> builder("http://h/api/predict/x").header("Host", "other").build());
    assertThrows(EasConfigException.class, () -> builder("http://h").directMode(true).build());
  }

  @Test
  void badInputIsTypedNeverANullPointer() throws Exception {
    try (EasClient client = builder("http://127.0.0.1:9/api/predict/x").build()) {
      assertThrows(PayloadException.class, () -> client.predict((byte[]) null));
      assertThrows(PayloadException.class, () -> client.predict((String) null));
      assertThrows(PayloadException.class, () -> client.predict((TFRequest) null));
      assertThrows(PayloadException.class, () -> client.predictMany(null, 2));
      assertThrows(EasConfigException.class, () -> client.predictMany(List.of(new byte[0]), 0));
      assertThrows(EasConfigException.class,
          () -> client.request(EasRequest.builder().body(new byte[0]).path("a?b").build()));
    }
  }

  @Test
  void callsAfterCloseFailAndNoClientThreadIsLeft() throws Exception {
    try (ScriptedServer s = server()) {
      Set<Thread> before = clientThreads();
      EasClient client = builder(s.origin()).serviceName("demo").directMode(false).build();
      List<byte[]> inputs = new ArrayList<>();
      for (int k = 0; k < 20; k++) {
        inputs.add(new byte[] {(byte) k});
      }
      client.predictMany(inputs, 4);
      client.close();
      client.close();
      assertThrows(IllegalStateException.class, () -> client.predict(new byte[0]));
      assertNoNewClientThreads(before);
    }
  }

  @Test
  void directModeLeavesNoThreadAfterClose() throws Exception {
    try (ScriptedServer inst = server()) {
      ScriptedServer.Reply disc = reply(200, "{\"endpoints\":{\"items\":[{\"ip\":\"127.0.0.1\",\"port\":" + inst.port()
          + ",\"weight\":1}]}}");
      try (ScriptedServer discovery = new ScriptedServer(List.of(), seen -> disc)) {
        Set<Thread> before = clientThreads();
        EasClient client = builder(discovery.origin()).serviceName("demo").directMode(true)
            .discoveryRefresh(Duration.ZERO).build();
        for (int k = 0; k < 5; k++) {
          assertEquals("ok", client.predict("x"));
        }
        client.predictAsync(new byte[1]).get(10, TimeUnit.SECONDS);
        assertTrue(discovery.seen().size() >= 5, "a zero refresh period refetches on every call");
        client.close();
        assertNoNewClientThreads(before);
      }
    }
  }

  /** Live threads of any client; a test compares against those alive before its own client existed. */
  private static Set<Thread> clientThreads() {
    Set<Thread> out = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("eas-client-") && t.isAlive()) {
        out.add(t);
      }
    }
    return out;
  }

  /** No thread of the client built after {@code before} was taken is alive within 5 s of close(). */
  private static void assertNoNewClientThreads(Set<Thread> before) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    List<String> alive = new ArrayList<>();
    while (System.nanoTime() < until) {
      alive.clear();
      for (Thread t : clientThreads()) {
        if (!before.contains(t)) {
          alive.add(t.getName());
        }
      }
      if (alive.isEmpty()) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("threads left after close(): " + alive);
  }

  @Test
  void asyncRetriesAreScheduledAndCancelStopsThem() throws Exception {
    CountDownLatch first = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    try (ScriptedServer s = new ScriptedServer(List.of(), seen -> {
      calls.incrementAndGet();
      first.countDown();
      return reply(503, "busy");
    });
        EasClient client = builder(s.origin() + "/api/predict/demo").jitter(() -> 1.0)
            .backoffBase(Duration.ofMillis(300)).maxRetries(5).build()) {
      CompletableFuture<byte[]> f = client.predictAsync(new byte[] {1});
      assertTrue(first.await(10, TimeUnit.SECONDS));
      assertTrue(f.cancel(true));
      assertThrows(CancellationException.class, f::join);
      // The first backoff (300 ms) has passed twice over: a retry that was not stopped would be here.
      Thread.sleep(700);
      assertEquals(1, calls.get(), "no attempt after cancel(true)");
    }
  }

  @Test
  void predictAsyncDoesNotBlockTheCaller() throws Exception {
    ScriptedServer.Reply slow = reply(200, "late");
    slow.delayMs = 300;
    try (ScriptedServer s = server(slow); EasClient client = builder(s.origin() + "/api/predict/demo").build()) {
      long t0 = System.nanoTime();
      CompletableFuture<byte[]> f = client.predictAsync(new byte[] {1});
      assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(250), "predictAsync returned at once");
      assertFalse(f.isDone());
      assertEquals("late", new String(f.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }
  }

  @Test
  void predictManyKeepsOrderAndTheConcurrencyLimit() throws Exception {
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    try (ScriptedServer s = new ScriptedServer(List.of(), seen -> {
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      inFlight.decrementAndGet();
      ScriptedServer.Reply r = new ScriptedServer.Reply();
      r.body = seen.body;
      if (seen.body.length > 0 && seen.body[0] == 'x') {
        r.status = 400;
      }
      return r;
    }); EasClient client = builder(s.origin() + "/api/predict/demo").build()) {
      List<byte[]> inputs = new ArrayList<>();
      for (int k = 0; k < 300; k++) {
        inputs.add((k % 50 == 7 ? "x" + k : "n" + k).getBytes(StandardCharsets.UTF_8));
      }
      List<EasResult> results = client.predictMany(inputs, 6);
      assertEquals(300, results.size());
      for (int k = 0; k < 300; k++) {
        if (k % 50 == 7) {
          assertInstanceOf(BadRequestException.class, results.get(k).error(), "input " + k);
        } else {
          assertEquals("n" + k, new String(results.get(k).body(), StandardCharsets.UTF_8));
        }
      }
      assertEquals(300, s.seen().size(), "every input sent exactly once (400 is not retried)");
      assertTrue(maxInFlight.get() <= 6, "at most 6 in flight, saw " + maxInFlight.get());
      assertTrue(maxInFlight.get() >= 2, "calls overlap, saw " + maxInFlight.get());
      assertEquals(300, client.predictManyAsync(inputs, 3).get(30, TimeUnit.SECONDS).size());
    }
  }

  @Test
  void redirectsAreNotFollowed() throws Exception {
    ScriptedServer.Reply moved = reply(302, "");
    moved.headers.put("Location", "http://127.0.0.1:9/elsewhere");
    try (ScriptedServer s = server(moved); EasClient client = builder(s.origin() + "/api/predict/demo").build()) {
      EasStatusException e = assertThrows(EasStatusException.class, () -> client.predict(new byte[1]));
      assertEquals(302, e.status());
      assertEquals("StatusError", e.kind());
      assertEquals(1, s.seen().size());
    }
  }

  @Test
  void gzipResponsesAreDecoded() throws Exception {
    ByteArrayOutputStream z = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(z)) {
      g.write("compressed answer".getBytes(StandardCharsets.UTF_8));
    }
    ScriptedServer.Reply r = new ScriptedServer.Reply();
    r.body = z.toByteArray();
    r.headers.put("Content-Encoding", "gzip");
    try (ScriptedServer s = server(r); EasClient client = builder(s.origin() + "/api/predict/demo").build()) {
      assertEquals("compressed answer", client.predict("q"));
    }
  }

  @Test
  void connectErrorsAreRetriedThenTyped() throws Exception {
    int port = ScriptedServer.closedPort();
    try (EasClient client = builder("http://127.0.0.1:" + port + "/api/predict/demo").maxRetries(2).build()) {
      EasConnectException e = assertThrows(EasConnectException.class, () -> client.predict(new byte[1]));
      assertEquals(3, e.attempts());
      assertEquals("connect", e.errorKind());
    }
  }

  @Test
  void requestCarriesPathQueryHeadersAndReportsAttempts() throws Exception {
    ScriptedServer.Reply ok = reply(200, "{\"y\":1}");
    ok.headers.put("X-Request-Id", "rid-1");
    try (ScriptedServer s = server(reply(503, ""), ok);
        EasClient client = builder(s.origin() + "/api/predict/demo?version=2").header("X-Team", "ml").build()) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("x", List.of(1, 2.5, "é"));
      EasResponse r = client.request(EasRequest.builder().json(body).path("v1/chat").param("q", "a b")
          .param("flag", null).header("x-team", "call").timeout(Duration.ofSeconds(5)).build());
      assertEquals(200, r.status());
      assertEquals(2, r.attempts());
      assertEquals("rid-1", r.header("x-request-id"));
      ScriptedServer.Seen seen = s.seen().get(1);
      assertEquals("/api/predict/demo/v1/chat", seen.path);
      assertEquals("version=2&q=a%20b&flag", seen.query);
      assertEquals("call", seen.headers.get("x-team"));
      assertEquals("application/json", seen.headers.get("content-type"));
      assertEquals("{\"x\":[1,2.5,\"é\"]}", new String(seen.body, StandardCharsets.UTF_8));
    }
  }

  @Test
  void signedCallsUseTheInjectedClock() throws Exception {
    Clock fixed = Clock.fixed(Instant.ofEpochSecond(1767225600), ZoneOffset.UTC);
    try (ScriptedServer s = server(reply(200, "True"));
        EasClient client = builder(s.origin() + "/api/predict/demo").token("secret-token").signatureAuth(true)
            .clock(fixed).build()) {
      client.request(EasRequest.builder().body("2 105".getBytes(StandardCharsets.UTF_8)).build());
      ScriptedServer.Seen seen = s.seen().get(0);
      assertEquals("Thu, 01 Jan 2026 00:00:00 GMT", seen.headers.get("date"));
      assertEquals("5b52018821db40550ad8f3e7f3f4167d", seen.headers.get("content-md5"));
      assertEquals("EAS SXY4ftvytDp7/Kmtw3tLEQTJr7U=", seen.headers.get("authorization"));
    }
  }

  @Test
  void attemptsAreLoggedAtDebugWithoutTheToken() throws Exception {
    Logger jul = Logger.getLogger("io.github.easclient.eas");
    List<String> messages = new ArrayList<>();
    Handler h = new Handler() {
      @Override
      public void publish(LogRecord r) {
        synchronized (messages) {
          messages.add(r.getMessage());
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Level before = jul.getLevel();
    jul.setLevel(Level.FINE);
    jul.addHandler(h);
    try (ScriptedServer s = server(reply(503, "echo " + TOKEN), reply(200, "ok"));
        EasClient client = builder(s.origin() + "/api/predict/demo?key=" + TOKEN).build()) {
      client.predict("x");
    } finally {
      jul.removeHandler(h);
      jul.setLevel(before);
    }
    synchronized (messages) {
      assertEquals(2, messages.stream().filter(m -> m.startsWith("attempt ")).count(), messages.toString());
      assertTrue(messages.get(0).contains("HTTP 503") && messages.get(0).contains("retry in"), messages.get(0));
      assertTrue(messages.stream().noneMatch(m -> m.contains(TOKEN)), messages.toString());
    }
  }

  @Test
  void statusErrorsCarryEverythingButTheToken() throws Exception {
    ScriptedServer.Reply full = reply(450, "queue full for " + TOKEN);
    full.headers.put("X-Eas-Request-Id", "q-9");
    try (ScriptedServer s = server(full, full, full);
        EasClient client = builder(s.origin() + "/api/predict/demo").maxRetries(2).build()) {
      QueueFullException e = assertThrows(QueueFullException.class, () -> client.predict("x"));
      assertEquals(450, e.status());
      assertEquals(3, e.attempts());
      assertEquals("q-9", e.requestId());
      assertTrue(e.getMessage().startsWith("HTTP 450 from service demo: queue full for ***; "), e.getMessage());
      assertEquals("queue full for ***", new String(e.body(), StandardCharsets.UTF_8));
      assertTrue(e.url().endsWith("/api/predict/demo"));
      assertFalse(client.toString().contains(TOKEN));
    }
  }

  @Test
  void toBuilderMakesAnIndependentVariant() throws Exception {
    try (ScriptedServer s = server(reply(200, "a"), reply(200, "b"));
        EasClient one = builder(s.origin() + "/api/predict/demo").build();
        EasClient two = one.toBuilder().token("another-token-99").build()) {
      one.predict("x");
      two.predict("x");
      assertEquals(TOKEN, s.seen().get(0).headers.get("authorization"));
      assertEquals("another-token-99", s.seen().get(1).headers.get("authorization"));
    }
  }

  @Test
  void callerHeaderMapsAreCopied() throws Exception {
    Map<String, String> mine = new HashMap<>(Map.of("X-A", "1"));
    try (ScriptedServer s = server(reply(200, "a"));
        EasClient client = builder(s.origin() + "/api/predict/demo").headers(mine).build()) {
      mine.put("X-A", "changed");
      client.predict("x");
      assertEquals("1", s.seen().get(0).headers.get("x-a"));
    }
  }

  @Test
  void bodiesOverTheCapAreRefusedAndNotRetried() throws Exception {
    ScriptedServer.Reply big = reply(200, "a".repeat(1001));
    ScriptedServer.Reply exact = reply(200, "a".repeat(1000));
    try (ScriptedServer s = server(big, exact);
        EasClient client = builder(s.origin() + "/api/predict/demo").maxResponseBytes(1000L).build()) {
      ResponseTooLargeException e = assertThrows(ResponseTooLargeException.class, () -> client.predict("x"));
      assertEquals(1, e.attempts());
      assertEquals("too_large", e.errorKind());
      assertEquals(1000, client.predict(new byte[1]).length);
    }
    assertThrows(EasConfigException.class, () -> builder("http://h/api/predict/x").maxResponseBytes(0L).build());
  }

  @Test
  void aDrippingBodyIsBoundedByTheTimeout() throws Exception {
    ScriptedServer.Reply drip = reply(200, "0123456789ab");
    drip.dripMs = 250;
    try (ScriptedServer s = server(drip);
        EasClient client = builder(s.origin() + "/api/predict/demo").timeout(Duration.ofSeconds(1)).maxRetries(0)
            .build()) {
      long t0 = System.nanoTime();
      assertThrows(EasReadTimeoutException.class, () -> client.predict("x"));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms >= 900 && ms < 2000, "took " + ms + " ms");
    }
  }

  @Test
  void aResetOnAReusedConnectionIsSentAgainOnce() throws Exception {
    ScriptedServer.Reply reset = new ScriptedServer.Reply();
    reset.reset = true;
    try (ScriptedServer s = server(reply(200, "warm"), reset, reply(200, "ok"));
        EasClient client = builder(s.origin() + "/api/predict/demo").maxRetries(0).build()) {
      assertEquals("warm", client.predict("x"));
      EasResponse r = client.request(EasRequest.builder().text("x").build());
      assertEquals("ok", r.text());
      assertEquals(1, r.attempts(), "the resend is not an attempt");
      assertEquals(3, s.seen().size());
    }
  }

  @Test
  void headerValuesMustBeVisibleAscii() {
    assertThrows(EasConfigException.class, () -> builder("http://h/api/predict/x").header("X-A", "caf\u00e9").build());
    assertThrows(EasConfigException.class, () -> builder("http://h/api/predict/x").header("X A", "v").build());
    assertThrows(EasConfigException.class, () -> builder("http://h/api/predict/d\u00e9mo").build());
    try (EasClient ok = builder("http://h/api/predict/x").header("X-a!#$%&'*+.^_`|~9", "v 1\t!~").build()) {
      assertTrue(ok.headers.size() == 1);
    }
  }
}
