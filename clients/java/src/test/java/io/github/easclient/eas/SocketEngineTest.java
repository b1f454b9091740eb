package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What the default socket engine adds beyond the spec, over real sockets on 127.0.0.1. */
class SocketEngineTest {
  private static EasClient.Builder builder(ScriptedServer s) {
    return EasClient.builder().endpoint(s.origin() + "/api/predict/demo").token("sk-test-0123456789")
        .environment(k -> null).timeout(Duration.ofSeconds(20));
  }

  @Test
  void asyncExchangesOnTheWireAreCappedPerClient() throws Exception {
    int calls = SocketTransport.MAX_ASYNC_EXCHANGES + 40;
    try (ScriptedServer s = new ScriptedServer(List.of(), seen -> {
      ScriptedServer.Reply r = Scenarios.text(200, "ok");
      r.delayMs = 150;
      return r;
    }); EasClient client = builder(s).build()) {
      List<CompletableFuture<byte[]>> all = new ArrayList<>();
      for (int k = 0; k < calls; k++) {
        all.add(client.predictAsync(new byte[] {(byte) k}));
      }
      for (CompletableFuture<byte[]> f : all) {
        assertEquals("ok", new String(f.get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8));
      }
      assertEquals(calls, s.seen().size());
      assertTrue(s.maxInFlight() <= SocketTransport.MAX_ASYNC_EXCHANGES, "in flight: " + s.maxInFlight());
      assertTrue(s.maxInFlight() > 1, "async calls ran side by side: " + s.maxInFlight());
    }
  }

  @ParameterizedTest
  @EnumSource(HttpEngine.class)
  void interruptingABlockingCallEndsItAtOnce(HttpEngine engine) throws Exception {
    ScriptedServer.Reply slow = Scenarios.text(200, "late");
    slow.delayMs = 3000;
    try (ScriptedServer s = new ScriptedServer(List.of(slow), seen -> Scenarios.text(200, "ok"));
        EasClient client = builder(s).engine(engine).build()) {
      CompletableFuture<Throwable> outcome = new CompletableFuture<>();
      Thread caller = new Thread(() -> {
        try {
          client.predict("x");
          outcome.complete(null);
        } catch (Throwable e) {
          outcome.complete(Thread.currentThread().isInterrupted() ? e : new AssertionError("interrupt flag lost", e));
        }
      });
      long t0 = System.nanoTime();
      caller.start();
      while (s.seen().isEmpty() && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5)) {
        Thread.sleep(5);
      }
      caller.interrupt();
      Throwable e = outcome.get(10, TimeUnit.SECONDS);
      assertTrue(e instanceof EasReadException && e.getMessage().contains("interrupted"), String.valueOf(e));
      assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(2500), "ended before the answer came");
    }
  }

  @Test
  void theSocketEngineRefusesACallersHttpClient() {
    EasConfigException e = assertThrows(EasConfigException.class, () -> EasClient.builder()
        .endpoint("http://127.0.0.1:1/api/predict/demo").environment(k -> null).engine(HttpEngine.SOCKETS)
        .httpClient(java.net.http.HttpClient.newHttpClient()).build());
    assertTrue(e.getMessage().contains("JAVA_NET_HTTP"), e.getMessage());
  }

  @Test
  void aCallersHttpClientSelectsJavaNetHttp() throws Exception {
    try (ScriptedServer s = new ScriptedServer(List.of(), seen -> Scenarios.text(200, "ok"));
        EasClient client = builder(s).httpClient(java.net.http.HttpClient.newHttpClient()).build()) {
      assertTrue(client.transport instanceof JdkTransport);
      assertTrue(client.asyncTransport instanceof JdkTransport);
      assertEquals("ok", client.predict("x"));
    }
  }
}
