// Streaming with the Java client: Server-Sent Events read as they arrive, blocking and async, and
// what a stream that breaks after its headers looks like. Run by `make demo-java`, or by hand:
//
//   java -cp clients/java/target/eas-client-0.1.0-SNAPSHOT.jar examples/java/StreamExample.java [service URL token]
//
// Without arguments it streams from a small token server started here on 127.0.0.1 (an EAS-style
// path, a token, text/event-stream, one token every 20 ms), so it needs nothing else running. Given
// a service URL and token (for example an OpenAI-compatible service under `eas serve`), it streams
// that service's events instead.

import com.sun.net.httpserver.HttpServer;
import io.github.easclient.eas.EasClient;
import io.github.easclient.eas.EasRequest;
import io.github.easclient.eas.EasStream;
import io.github.easclient.eas.SseEvent;
import io.github.easclient.eas.StreamException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

public class StreamExample {
  static final List<String> TOKENS = List.of("Streams ", "arrive ", "one ", "token ", "at ", "a ", "time.");

  public static void main(String[] args) throws Exception {
    HttpServer local = null;
    String url;
    String token;
    if (args.length >= 2) {
      url = args[0];
      token = args[1];
    } else {
      local = tokenServer("stream-demo-token");
      url = "http://127.0.0.1:" + local.getAddress().getPort() + "/api/predict/llm";
      token = "stream-demo-token";
    }
    try (EasClient client = EasClient.builder().endpoint(url).token(token).timeout(Duration.ofSeconds(10)).build()) {
      EasRequest request = EasRequest.builder()
          .json(Map.of("messages", List.of(Map.of("role", "user", "content", "Hi")), "stream", true))
          .path("v1/chat/completions")
          .build();

      // 1. Blocking: the stream is an iterator of events; try-with-resources closes its connection.
      StringBuilder text = new StringBuilder();
      long t0 = System.nanoTime();
      double firstMs = -1;
      try (EasStream stream = client.stream(request)) {
        for (SseEvent e : stream.events()) {
          if (e.data().equals("[DONE]")) {
            break;
          }
          if (firstMs < 0) {
            firstMs = (System.nanoTime() - t0) / 1e6;
          }
          text.append(e.data());
        }
      }
      System.out.printf("blocking: first event after %.0f ms, whole text after %.0f ms: %s%n", firstMs,
          (System.nanoTime() - t0) / 1e6, text);
      check(local == null || text.toString().equals(String.join("", TOKENS)), "blocking text");

      // 2. Async: no thread waits; the callback gets each event, the future completes at the end.
      StringBuilder async = new StringBuilder();
      CompletableFuture<Void> done = client.streamAsync(request)
          .thenCompose(s -> s.forEachEvent(e -> {
            if (!e.data().equals("[DONE]")) {
              async.append(e.data());
            }
          }));
      done.get(30, TimeUnit.SECONDS);
      System.out.println("async: " + async);
      check(local == null || async.toString().equals(String.join("", TOKENS)), "async text");

      // 3. A break after the headers is never retried: the error carries what had arrived.
      if (local != null) {
        try (EasStream stream = client.stream(EasRequest.builder().text("break").path("v1/chat/completions").build())) {
          stream.forEachRemaining(e -> {});
          check(false, "the broken stream should have failed");
        } catch (StreamException e) {
          System.out.println("broken stream: " + e.kind() + " after " + e.events().size() + " event(s), "
              + e.bytesReceived() + " bytes, attempts " + e.attempts());
          check(e.kind().equals("StreamReadError") && e.events().size() == 2, "broken stream error");
        }
      }
    } finally {
      if (local != null) {
        local.stop(0);
      }
    }
  }

  /** A token stream under /api/predict/llm: a "break" request gets two events, then the connection drops. */
  static HttpServer tokenServer(String token) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/api/predict/llm", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      if (!token.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        exchange.sendResponseHeaders(401, -1);
        exchange.close();
        return;
      }
      boolean breaks = new String(body, StandardCharsets.UTF_8).equals("break");
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      try {
        for (int k = 0; k < TOKENS.size(); k++) {
          if (breaks && k == 2) {
            // Drop the connection without the last chunk, as a crashed upstream would.
            exchange.getHttpContext().getServer().stop(0);
            return;
          }
          out.write(("data: " + TOKENS.get(k) + "\n\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
          Thread.sleep(20);
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        out.close();
      }
    });
    server.start();
    return server;
  }

  static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError("example check failed: " + what);
    }
  }
}
