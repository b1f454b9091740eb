package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * CONN-1 in Java terms: how the client decides that an attempt went out on a reused connection and
 * that no answer byte had arrived, on both engines (the scenario cases in spec/scenarios/hardening.json
 * run in SpecTest, also on both). The socket engine knows; java.net.http's is inferred from a count.
 */
class ConnReuseTest {
  @Test
  void theIdleCountFollowsAnswersAttemptsAndTheKeepAliveTime() {
    AtomicLong now = new AtomicLong();
    IdleConnections idle = new IdleConnections(TimeUnit.SECONDS.toNanos(30), now::get);
    assertFalse(idle.take("http://a"), "nothing answered yet: a fresh connection");
    idle.give("http://a");
    idle.give("http://a");
    assertFalse(idle.take("http://b"), "origins are counted apart");
    assertTrue(idle.take("http://a"));
    assertTrue(idle.take("http://a"));
    assertFalse(idle.take("http://a"), "two answers, two reused connections, then a fresh one");
    idle.give("http://a");
    now.addAndGet(TimeUnit.SECONDS.toNanos(31));
    assertFalse(idle.take("http://a"), "the JDK closed it after its keep-alive time");
    assertEquals(0, idle.count("http://a"));
  }

  @Test
  void java17KeepsIdleConnections1200SecondsUnlessConfigured() {
    String set = System.getProperty("jdk.httpclient.keepalive.timeout");
    assertEquals(TimeUnit.SECONDS.toNanos(set == null ? 1200 : Long.parseLong(set.trim())),
        IdleConnections.JDK_KEEP_ALIVE_NANOS);
  }

  @ParameterizedTest
  @EnumSource(HttpEngine.class)
  void aMalformedAnswerOnAReusedConnectionIsNotSentAgain(HttpEngine engine) throws Exception {
    // Answer bytes arrived (a broken status line), so this is not "before any byte": an ordinary outcome.
    try (RawServer s = new RawServer("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwarm", "garbage\r\n\r\n");
        EasClient client = client(s, engine)) {
      assertEquals("warm", client.predict("x"));
      EasReadException e = assertThrows(EasReadException.class, () -> client.predict("x"));
      assertEquals(1, e.attempts());
      assertEquals(2, s.requests.get(), "no resend after answer bytes arrived");
    }
  }

  @ParameterizedTest
  @EnumSource(HttpEngine.class)
  void aCloseBeforeAnyByteOnAReusedConnectionIsSentAgainOnBothApis(HttpEngine engine) throws Exception {
    // The server reads the request and closes without a byte: the stale-keep-alive race CONN-1 covers.
    try (RawServer s = new RawServer("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwarm", null,
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        EasClient client = client(s, engine)) {
      assertEquals("warm", client.predict("x"));
      EasResponse r = client.requestAsync(EasRequest.builder().text("x").build()).get(10, TimeUnit.SECONDS);
      assertEquals("ok", r.text());
      assertEquals(1, r.attempts(), "the resend is not an attempt");
      assertEquals(3, s.requests.get());
    }
  }

  @ParameterizedTest
  @EnumSource(HttpEngine.class)
  void aCloseBeforeAnyByteOnAFreshConnectionIsAnOrdinaryOutcome(HttpEngine engine) throws Exception {
    try (RawServer s = new RawServer((String) null, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        EasClient client = client(s, engine)) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> client.predictAsync("x".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof EasReadException, String.valueOf(e.getCause()));
      assertEquals(1, s.requests.get());
    }
  }

  @Test
  void onlyAParseFailureCountsAsAnswerBytes() {
    assertTrue(JdkTransport.afterResponseBytes(new IOException("wrapped", new java.net.ProtocolException("Invalid status line"))));
    assertFalse(JdkTransport.afterResponseBytes(new IOException("Connection reset")));
    assertFalse(JdkTransport.afterResponseBytes(new java.io.EOFException("EOF reached while reading")));
  }

  @Test
  void theSocketEngineResendsOnceWhenTheServerClosedTheIdleConnection() throws Exception {
    // The server closes the kept-alive connection after "warm" (no Connection: close). The next call
    // goes out on that pooled connection, meets the close before any byte and is sent once more on a
    // new connection; that one failing before any byte is the outcome (fresh: no second resend). An
    // engine inferring reuse from a count can call the new connection "reused" and send a third time
    // (README, CONN-1, java.net.http case 1).
    try (RawServer s = new RawServer("close:HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwarm", null,
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        EasClient client = client(s, HttpEngine.SOCKETS)) {
      assertEquals("warm", client.predict("x"));
      EasReadException e = assertThrows(EasReadException.class, () -> client.predict("x"));
      assertEquals(1, e.attempts());
      assertEquals(2, s.requests.get(), "warm, then the one resend on a fresh connection");
      assertEquals(2, s.connections.get());
    }
  }

  @ParameterizedTest
  @EnumSource(HttpEngine.class)
  void chunkedInterimAndUntilCloseAnswersAreRead(HttpEngine engine) throws Exception {
    try (RawServer s = new RawServer(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=1\r\nabcd\r\n3\r\nefg\r\n0\r\nX-T: 1\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 204 No Content\r\n\r\n",
        "close:HTTP/1.1 200 OK\r\n\r\nuntil the close");
        EasClient client = client(s, engine)) {
      assertEquals("abcdefg", client.predict("x"));
      EasResponse created = client.request(EasRequest.builder().text("x").build());
      assertEquals(201, created.status());
      assertEquals("ok", created.text());
      assertEquals(204, client.request(EasRequest.builder().text("x").build()).status());
      assertEquals("until the close", client.predict("x"));
      assertEquals(4, s.requests.get());
      assertEquals(1, s.connections.get(), "chunked, interim and empty answers keep the connection");
    }
  }

  @Test
  void theSocketEngineReusesOneConnectionAndCloseReleasesIt() throws Exception {
    String ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    RawServer s = new RawServer(ok, ok, ok);
    try (s) {
      EasClient client = client(s, HttpEngine.SOCKETS);
      for (int k = 0; k < 3; k++) {
        assertEquals("ok", client.predict("x"));
      }
      client.close();
      assertTrue(s.finished.await(5, TimeUnit.SECONDS), "close() closed the pooled connection");
      assertEquals(1, s.connections.get());
    }
  }

  private static EasClient client(RawServer s, HttpEngine engine) {
    return EasClient.builder().endpoint("http://127.0.0.1:" + s.port() + "/api/predict/demo").environment(k -> null)
        .maxRetries(0).timeout(Duration.ofSeconds(5)).engine(engine).build();
  }

  /**
   * One connection at a time on 127.0.0.1; each request read gets the next scripted answer (raw bytes;
   * "close:" before them: close the connection after them; or null: close without a byte, which also
   * ends that connection). Counts the requests it read and the connections it accepted.
   */
  static final class RawServer implements AutoCloseable {
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger connections = new AtomicInteger();
    /** Every answer was given and the client closed the last connection. */
    final java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
    private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final String[] answers;
    private final Thread thread;

    RawServer(String... answers) throws IOException {
      this.answers = answers;
      thread = new Thread(this::serve, "conn-reuse-test-server");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    private void serve() {
      int next = 0;
      try {
        while (next < answers.length) {
          try (Socket c = socket.accept()) {
            connections.incrementAndGet();
            c.setSoTimeout(10_000);
            InputStream in = c.getInputStream();
            OutputStream out = c.getOutputStream();
            boolean dropped = false;
            while (next < answers.length && readRequest(in)) {
              requests.incrementAndGet();
              String a = answers[next++];
              if (a == null) {
                c.setSoLinger(true, 0);
                dropped = true;
                break;
              }
              boolean close = a.startsWith("close:");
              out.write(a.substring(close ? 6 : 0).getBytes(StandardCharsets.ISO_8859_1));
              out.flush();
              if (close || a.startsWith("garbage")) {
                dropped = true;
                break;
              }
            }
            if (!dropped && next == answers.length && !readRequest(in)) {
              finished.countDown();
            }
          }
        }
      } catch (IOException e) {
        // closed by the test
      }
    }

    /** Reads one request (headers and a Content-Length body); false at end of stream. */
    private static boolean readRequest(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) >= 0) {
        head.write(b);
        byte[] h = head.toByteArray();
        int n = h.length;
        if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
          int length = 0;
          for (String line : new String(h, StandardCharsets.ISO_8859_1).split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
              length = Integer.parseInt(line.substring(15).trim());
            }
          }
          in.readNBytes(length);
          return true;
        }
      }
      return false;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
