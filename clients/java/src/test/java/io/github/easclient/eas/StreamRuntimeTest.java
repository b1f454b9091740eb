package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Streams from the repository's OpenAI-compatible demo service (examples/llm) under the real local
 * runtime, over real sockets. Skipped where the repository has no examples/llm.
 */
class StreamRuntimeTest {
  private static final String TOKEN = "llm-stream-token-123";

  @Test
  void chatStreamsTokensFromTheLlmExampleUnderEasServe() throws Exception {
    Assumptions.assumeTrue(Files.exists(LocalRuntime.REPO.resolve("examples/llm/app.py")),
        "examples/llm is not in this checkout");
    try (LocalRuntime rt = new LocalRuntime("examples.llm.app:app", "--service", "llm", "--token", TOKEN);
        EasClient client = EasClient.create(rt.url, TOKEN)) {
      List<String> deltas = new ArrayList<>();
      List<Long> at = new ArrayList<>();
      long t0 = System.nanoTime();
      Map<String, Object> usage;
      String finish;
      try (ChatStream chat = client.chatStream(ChatRequest.builder().message("user", "hi").build())) {
        assertEquals(200, chat.stream().status());
        assertTrue(chat.stream().header("Content-Type").startsWith("text/event-stream"));
        while (chat.hasNext()) {
          deltas.add(chat.next());
          at.add(System.nanoTime() - t0);
        }
        usage = chat.usage();
        finish = chat.finishReason();
      }
      assertTrue(deltas.size() > 5, "several deltas: " + deltas);
      assertTrue(at.get(at.size() - 1) - at.get(0) > TimeUnit.MILLISECONDS.toNanos(50),
          "the deltas arrived over time, not at once");
      assertEquals("stop", finish);
      assertEquals((long) deltas.size(), ((Number) usage.get("completion_tokens")).longValue(), "usage: " + usage);

      ChatAnswer whole = client.chat(ChatRequest.builder().message("user", "hi").build());
      assertEquals(String.join("", deltas), whole.text(), "the stream and the whole answer agree");

      int[] events = {0};
      client.streamAsync(EasRequest.builder().path("v1/chat/completions")
          .json(Map.of("messages", List.of(Map.of("role", "user", "content", "hi")), "stream", true)).build())
          .thenCompose(s -> s.forEachEvent(e -> events[0]++)).get(30, TimeUnit.SECONDS);
      assertTrue(events[0] > deltas.size(), "events (with the role, usage and [DONE] ones): " + events[0]);
    }
  }
}
