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

/**
 * CONN-1 in Java terms: how the client decides that an attempt went out on a reused connection and
 * that no answer byte had arrived (the scenario cases in spec/scenarios/hardening.json run in SpecTest).
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

  @Test
  void aMalformedAnswerOnAReusedConnectionIsNotSentAgain() throws Exception {
    // Answer bytes arrived (a broken status line), so this is not "before any byte": an ordinary outcome.
    try (RawServer s = new RawServer("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwarm", "garbage\r\n\r\n");
        EasClient client = client(s)) {
      assertEquals("warm", client.predict("x"));
      EasReadException e = assertThrows(EasReadException.class, () -> client.predict("x"));
      assertEquals(1, e.attempts());
      assertEquals(2, s.requests.get(), "no resend after answer bytes arrived");
    }
  }

  @Test
  void aCloseBeforeAnyByteOnAReusedConnectionIsSentAgainOnBothApis() throws Exception {
    // The server reads the request and closes without a byte: the stale-keep-alive race CONN-1 covers.
    try (RawServer s = new RawServer("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwarm", null,
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        EasClient client = client(s)) {
      assertEquals("warm", client.predict("x"));
      EasResponse r = client.requestAsync(EasRequest.builder().text("x").build()).get(10, TimeUnit.SECONDS);
      assertEquals("ok", r.text());
      assertEquals(1, r.attempts(), "the resend is not an attempt");
      assertEquals(3, s.requests.get());
    }
  }

  @Test
  void aCloseBeforeAnyByteOnAFreshConnectionIsAnOrdinaryOutcome() throws Exception {
    try (RawServer s = new RawServer((String) null, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        EasClient client = client(s)) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> client.predictAsync("x".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof EasReadException, String.valueOf(e.getCause()));
      assertEquals(1, s.requests.get());
    }
  }

  @Test
  void onlyAParseFailureCountsAsAnswerBytes() {
    assertTrue(Call.afterResponseBytes(new IOException("wrapped", new java.net.ProtocolException("Invalid status line"))));
    assertFalse(Call.afterResponseBytes(new IOException("Connection reset")));
    assertFalse(Call.afterResponseBytes(new java.io.EOFException("EOF reached while reading")));
  }

  private static EasClient client(RawServer s) {
    return EasClient.builder().endpoint("http://127.0.0.1:" + s.port() + "/api/predict/demo").environment(k -> null)
        .maxRetries(0).timeout(Duration.ofSeconds(5)).build();
  }

  /**
   * One connection at a time on 127.0.0.1; each request read gets the next scripted answer (raw bytes,
   * or null: close without a byte, which also ends that connection). Counts the requests it read.
   */
  static final class RawServer implements AutoCloseable {
    final AtomicInteger requests = new AtomicInteger();
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
            c.setSoTimeout(10_000);
            InputStream in = c.getInputStream();
            OutputStream out = c.getOutputStream();
            while (next < answers.length && readRequest(in)) {
              requests.incrementAndGet();
              String a = answers[next++];
              if (a == null) {
                c.setSoLinger(true, 0);
                break;
              }
              out.write(a.getBytes(StandardCharsets.ISO_8859_1));
              out.flush();
              if (a.startsWith("garbage")) {
                break;
              }
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
