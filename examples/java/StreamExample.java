// Streaming with the Java client: a chat with an OpenAI-compatible service as text deltas, the raw
// Server-Sent Events read async, and what a stream that breaks after its headers looks like. Run by
// `make demo-java`, or by hand:
//
//   java -cp clients/java/target/eas-client-0.1.0-SNAPSHOT.jar examples/java/StreamExample.java [service URL token]
//
// Without arguments it streams from a small OpenAI-style token server started here on 127.0.0.1 (an
// EAS-style path, a token, text/event-stream chunks, one token every 20 ms), so it needs nothing else
// running. Given the URL and token of an OpenAI-compatible service (for example one under
// `eas serve`), it chats with that service instead.

import com.sun.net.httpserver.HttpServer;
import io.github.easclient.eas.ChatRequest;
import io.github.easclient.eas.ChatStream;
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
      System.out.println("streaming from " + url);
    } else {
      local = tokenServer("stream-demo-token");
      url = "http://127.0.0.1:" + local.getAddress().getPort() + "/api/predict/llm";
      token = "stream-demo-token";
      System.out.println("streaming from a local token server (" + url + ")");
    }
    try (EasClient client = EasClient.builder().endpoint(url).token(token).timeout(Duration.ofSeconds(10)).build()) {
      EasRequest request = EasRequest.builder()
          .json(Map.of("messages", List.of(Map.of("role", "user", "content", "Hi")), "stream", true))
          .path("v1/chat/completions")
          .build();

      // 1. A chat as text deltas: the helper sends the OpenAI body ("stream": true, usage asked for)
      //    to <service URL>/v1/chat/completions and reads the events up to data: [DONE].
      StringBuilder text = new StringBuilder();
      long t0 = System.nanoTime();
      double firstMs = -1;
      try (ChatStream chat = client.chatStream(ChatRequest.builder().message("user", "Hi").build())) {
        while (chat.hasNext()) {
          String delta = chat.next();
          if (firstMs < 0) {
            firstMs = (System.nanoTime() - t0) / 1e6;
          }
          text.append(delta);
        }
        System.out.printf("chat: first delta after %.0f ms, whole text after %.0f ms: %s (usage %s, finish %s)%n",
            firstMs, (System.nanoTime() - t0) / 1e6, text, chat.usage(), chat.finishReason());
      }
      check(local == null || text.toString().equals(String.join("", TOKENS)), "chat text");

      // 2. The raw events, async: no thread waits; the callback gets each event in order, and the
      //    future completes at the end of the stream.
      int[] events = {0};
      CompletableFuture<Void> done = client.streamAsync(request).thenCompose(s -> s.forEachEvent(e -> events[0]++));
      done.get(30, TimeUnit.SECONDS);
      System.out.println("async: " + events[0] + " events (the last one is data: [DONE])");
      check(local == null || events[0] == TOKENS.size() + 2, "async event count");

      // 3. A break after the headers is never retried: the error carries what had arrived.
      if (local != null) {
        try (EasStream stream = client.stream(EasRequest.builder().text("break").path("v1/chat/completions").build())) {
          stream.forEachRemaining(e -> {});
          check(false, "the broken stream should have failed");
        } catch (StreamException e) {
          System.out.println("broken stream: " + e.kind() + " after " + e.eventsDelivered() + " event(s), "
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

  /**
   * OpenAI-style chunks under /api/predict/llm/v1/chat/completions, then usage and [DONE]; a "break"
   * request gets two events, then the connection drops.
   */
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
          out.write(("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + TOKENS.get(k)
              + "\"},\"finish_reason\":null}]}\n\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
          Thread.sleep(20);
        }
        out.write(("data: {\"choices\":[],\"usage\":{\"completion_tokens\":" + TOKENS.size() + "}}\n\n"
            + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
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
