package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Stream behaviour the spec leaves to Java (usage errors, async cancellation, callbacks), over real sockets. */
class StreamTest {
  private static final String TOKEN = "sk-stream-0123456789";

  private static ScriptedServer.Reply sse(Object... chunksAndDelays) {
    ScriptedServer.Reply r = new ScriptedServer.Reply();
    r.headers.put("Content-Type", "text/event-stream");
    r.chunks = new ArrayList<>();
    for (int k = 0; k < chunksAndDelays.length; k += 2) {
      r.chunks.add(new ScriptedServer.Chunk(((String) chunksAndDelays[k]).getBytes(StandardCharsets.UTF_8),
          (Integer) chunksAndDelays[k + 1]));
    }
    return r;
  }

  private static ScriptedServer server(ScriptedServer.Reply... replies) throws Exception {
    return new ScriptedServer(List.of(replies), seen -> Scenarios.text(200, "ok"));
  }

  private static EasClient client(ScriptedServer s) {
    return EasClient.builder().endpoint(s.origin()).serviceName("llm").token(TOKEN).environment(k -> null)
        .jitter(() -> 0.0).build();
  }

  private static EasRequest prompt() {
    return EasRequest.builder().text("hi").build();
  }

  @Test
  void eventsAreReadWithAForEachLoopAndTheIteratorItself() throws Exception {
    try (ScriptedServer s = server(sse("data: a\n\n", 0, "event: x\ndata: b\nid: 7\n\n", 0));
        EasClient c = client(s);
        EasStream stream = c.stream(prompt())) {
      assertEquals(200, stream.status());
      assertEquals(1, stream.attempts());
      assertEquals("text/event-stream", stream.header("content-type"));
      List<SseEvent> got = new ArrayList<>();
      for (SseEvent e : stream.events()) {
        got.add(e);
      }
      assertEquals(List.of(new SseEvent("message", "a", "", null), new SseEvent("x", "b", "7", null)), got);
      assertFalse(stream.hasNext());
    }
  }

  @Test
  void aSecondWayOfReadingIsAUsageErrorBeforeAnyIo() throws Exception {
    try (ScriptedServer s = server(sse("data: a\n\n", 0));
        EasClient c = client(s);
        EasStream stream = c.stream(prompt())) {
      Iterable<String> lines = stream.lines();
      assertThrows(IllegalStateException.class, stream::bytes);
      assertThrows(IllegalStateException.class, stream::hasNext);
      assertThrows(IllegalStateException.class, () -> stream.forEachEvent(e -> {}));
      lines.iterator();
      assertThrows(IllegalStateException.class, lines::iterator);
    }
  }

  @Test
  void jsonWhereEventsWereExpectedShowsTheTypeAndTheBody() throws Exception {
    ScriptedServer.Reply json = Scenarios.text(200, "{\"choices\":[],\"key\":\"" + TOKEN + "\"}");
    json.headers.put("Content-Type", "application/json");
    try (ScriptedServer s = server(json); EasClient c = client(s); EasStream stream = c.stream(prompt())) {
      StreamContentTypeException e = assertThrows(StreamContentTypeException.class, stream::hasNext);
      assertEquals("application/json", e.contentType());
      assertEquals("{\"choices\":[],\"key\":\"***\"}", new String(e.body(), StandardCharsets.UTF_8));
      assertFalse(e.getMessage().contains(TOKEN), e.getMessage());
      assertTrue(e.getMessage().startsWith("expected text/event-stream from service llm, got application/json: "),
          e.getMessage());
    }
  }

  @Test
  void aCallbackThatThrowsEndsTheAsyncReadWithItsException() throws Exception {
    try (ScriptedServer s = server(sse("data: a\n\n", 0, "data: b\n\n", 2000)); EasClient c = client(s)) {
      EasStream stream = c.streamAsync(prompt()).get(5, TimeUnit.SECONDS);
      IllegalStateException boom = new IllegalStateException("boom");
      long t0 = System.nanoTime();
      CompletableFuture<Void> f = stream.forEachEvent(e -> {
        throw boom;
      });
      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
      assertEquals(boom, e.getCause());
      assertTrue(System.nanoTime() - t0 < 1_500_000_000L, "the read ended at once, not after the next chunk");
    }
  }

  @Test
  void cancellingTheAsyncReadClosesTheStreamAndTheNextCallUsesANewConnection() throws Exception {
    try (ScriptedServer s = server(sse("data: a\n\n", 0, "data: b\n\n", 3000), sse("data: c\n\n", 0));
        EasClient c = client(s)) {
      EasStream stream = c.streamAsync(prompt()).get(5, TimeUnit.SECONDS);
      CountDownLatch first = new CountDownLatch(1);
      List<SseEvent> got = new ArrayList<>();
      CompletableFuture<Void> f = stream.forEachEvent(e -> {
        got.add(e);
        first.countDown();
      });
      assertTrue(first.await(5, TimeUnit.SECONDS));
      assertTrue(f.cancel(true));
      assertThrows(CancellationException.class, f::join);
      try (EasStream next = c.stream(prompt())) {
        assertEquals(new SseEvent("message", "c", "", null), next.next());
      }
      assertEquals(List.of(new SseEvent("message", "a", "", null)), got);
      assertEquals(0, s.seen().get(0).connection);
      assertEquals(1, s.seen().get(1).connection, "a cancelled stream's connection is not reused");
    }
  }

  @Test
  void cancellingStreamAsyncBeforeTheHeadersStopsTheCall() throws Exception {
    ScriptedServer.Reply slow = sse("data: a\n\n", 0);
    slow.delayMs = 3000;
    try (ScriptedServer s = server(slow); EasClient c = client(s)) {
      CompletableFuture<EasStream> f = c.streamAsync(prompt());
      long t0 = System.nanoTime();
      assertTrue(f.cancel(true));
      assertThrows(CancellationException.class, f::join);
      assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
    }
  }

  @Test
  void anInterruptedBlockingReadClosesTheStreamAndKeepsTheInterrupt() throws Exception {
    try (ScriptedServer s = server(sse("data: a\n\n", 0, "data: b\n\n", 5000)); EasClient c = client(s);
        EasStream stream = c.stream(prompt())) {
      assertEquals("a", stream.next().data());
      Thread.currentThread().interrupt();
      assertThrows(CancellationException.class, stream::hasNext);
      assertTrue(Thread.interrupted(), "the interrupt flag is kept");
      assertFalse(stream.hasNext(), "a closed stream has nothing more");
    }
  }

  @Test
  void bytesArriveUnchangedAndClosingTwiceIsHarmless() throws Exception {
    byte[] odd = {(byte) 0xff, 'a', '\r'};
    ScriptedServer.Reply r = new ScriptedServer.Reply();
    r.chunks = List.of(new ScriptedServer.Chunk(odd, 0), new ScriptedServer.Chunk(new byte[] {'\n'}, 10));
    try (ScriptedServer s = server(r); EasClient c = client(s)) {
      EasStream stream = c.stream(prompt());
      java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
      for (byte[] b : stream.bytes()) {
        all.writeBytes(b);
      }
      assertArrayEquals(new byte[] {(byte) 0xff, 'a', '\r', '\n'}, all.toByteArray());
      assertEquals(4, stream.bytesReceived());
      stream.close();
      stream.close();
    }
  }

  @Test
  void aPerCallAcceptHeaderReplacesTheDefaultAnyCase() throws Exception {
    try (ScriptedServer s = server(sse("data: a\n\n", 0)); EasClient c = client(s);
        EasStream stream = c.stream(EasRequest.builder().text("hi").header("ACCEPT", "application/x-ndjson").build())) {
      stream.lines().forEach(l -> {});
      assertEquals("application/x-ndjson", s.seen().get(0).headers.get("accept"));
    }
  }

  @Test
  void streamErrorsAreNotTransportErrors() {
    StreamException e = new StreamReadException("m", "u", 1, 200, 3, List.of(), null);
    assertInstanceOf(EasException.class, e);
    assertFalse(EasTransportException.class.isInstance(e));
    assertEquals("StreamReadError", e.kind());
  }

  private static String chunk(String content) {
    return "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":null}]}\n\n";
  }

  @Test
  void chatStreamSendsTheOpenAiBodyAndYieldsDeltasThenUsage() throws Exception {
    try (ScriptedServer s = server(sse(chunk("Hel"), 0, chunk("lo"), 10,
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n", 0,
            "data: {\"choices\":[],\"usage\":{\"total_tokens\":5}}\n\ndata: [DONE]\n\n", 0));
        EasClient c = client(s);
        ChatStream chat = c.chatStream(ChatRequest.builder().message("user", "Hi").model("qwen")
            .param("temperature", 0.5).build())) {
      assertEquals("Hello", chat.text());
      assertEquals(Map.of("total_tokens", 5L), chat.usage());
      assertEquals("stop", chat.finishReason());
      ScriptedServer.Seen seen = s.seen().get(0);
      assertEquals("/api/predict/llm/v1/chat/completions", seen.path);
      assertEquals("text/event-stream", seen.headers.get("accept"));
      assertEquals("{\"model\":\"qwen\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true,"
          + "\"stream_options\":{\"include_usage\":true},\"temperature\":0.5}",
          new String(seen.body, StandardCharsets.UTF_8));
    }
  }

  @Test
  void chatStreamErrorEventCarriesTheEventsBeforeIt() throws Exception {
    try (ScriptedServer s = server(sse(chunk("a"), 0, "data: {\"error\":{\"message\":\"model overloaded\"}}\n\n", 0));
        EasClient c = client(s);
        ChatStream chat = c.chatStream(ChatRequest.builder().message("user", "Hi").build())) {
      assertEquals("a", chat.next());
      StreamEventException e = assertThrows(StreamEventException.class, chat::hasNext);
      assertTrue(e.getMessage().contains("model overloaded"), e.getMessage());
      assertEquals(1, e.eventsDelivered(), "the failing event is not counted (STREAM-12)");
      assertEquals(List.of(new SseEvent("message", chunk("a").substring(6, chunk("a").length() - 2), "", null)),
          e.events());
      assertEquals(1, e.attempts());
    }
  }

  @Test
  void chatWithoutStreamReturnsTextUsageAndFinishReason() throws Exception {
    ScriptedServer.Reply r = Scenarios.text(200, "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        + "\"content\":\"Hello\"},\"finish_reason\":\"stop\"}],\"usage\":{\"total_tokens\":3}}");
    r.headers.put("Content-Type", "application/json");
    try (ScriptedServer s = server(r); EasClient c = client(s)) {
      ChatAnswer a = c.chat(ChatRequest.builder().message("user", "Hi").build());
      assertEquals(new ChatAnswer("Hello", Map.of("total_tokens", 3L), "stop"), a);
      assertEquals("application/json", s.seen().get(0).headers.get("accept"));
      assertEquals("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
          new String(s.seen().get(0).body, StandardCharsets.UTF_8));
    }
  }

  @Test
  void chatWithoutMessagesIsAConfigError() throws Exception {
    try (ScriptedServer s = server(); EasClient c = client(s)) {
      assertThrows(EasConfigException.class, () -> c.chat(ChatRequest.builder().build()));
      assertThrows(EasConfigException.class,
          () -> c.chatStream(ChatRequest.builder().message("user", "x").param("stream", false).build()));
      assertEquals(0, s.seen().size());
    }
  }

  @Test
  void closingFromAnotherThreadWakesABlockedRead() throws Exception {
    try (ScriptedServer s = server(sse("data: a\n\n", 0, "data: b\n\n", 5000)); EasClient c = client(s);
        EasStream stream = c.stream(prompt())) {
      assertEquals("a", stream.next().data());
      java.util.concurrent.ScheduledExecutorService t = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
      try {
        t.schedule(stream::close, 100, TimeUnit.MILLISECONDS);
        long t0 = System.nanoTime();
        assertFalse(stream.hasNext(), "a stream closed by the caller ends without an error");
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "the read woke at the close, not at the timeout");
      } finally {
        t.shutdownNow();
      }
    }
  }

  @Test
  void thePublisherDeliversNoMoreThanItsDemandThenCompletes() throws Exception {
    try (ScriptedServer s = server(sse("data: 1\n\ndata: 2\n\ndata: 3\n\n", 0)); EasClient c = client(s)) {
      EasStream stream = c.streamAsync(prompt()).get(5, TimeUnit.SECONDS);
      java.util.concurrent.LinkedBlockingQueue<Object> got = new java.util.concurrent.LinkedBlockingQueue<>();
      java.util.concurrent.Flow.Subscription[] sub = new java.util.concurrent.Flow.Subscription[1];
      stream.eventPublisher().subscribe(new java.util.concurrent.Flow.Subscriber<SseEvent>() {
        @Override
        public void onSubscribe(java.util.concurrent.Flow.Subscription subscription) {
          sub[0] = subscription;
          subscription.request(1);
        }

        @Override
        public void onNext(SseEvent item) {
          got.add(item.data());
        }

        @Override
        public void onError(Throwable t) {
          got.add(t);
        }

        @Override
        public void onComplete() {
          got.add("complete");
        }
      });
      assertEquals("1", got.poll(5, TimeUnit.SECONDS));
      assertEquals(null, got.poll(300, TimeUnit.MILLISECONDS), "nothing beyond the demand");
      sub[0].request(5);
      assertEquals("2", got.poll(5, TimeUnit.SECONDS));
      assertEquals("3", got.poll(5, TimeUnit.SECONDS));
      assertEquals("complete", got.poll(5, TimeUnit.SECONDS));
      assertThrows(IllegalStateException.class, () -> stream.forEachEvent(e -> {}), "one reading per stream");
    }
  }

  @Test
  void thePublisherSignalsAStreamErrorWithTheEventsBeforeIt() throws Exception {
    ScriptedServer.Reply r = sse("data: a\n\n", 0, "data: b", 20);
    r.end = "reset";
    try (ScriptedServer s = server(r); EasClient c = client(s)) {
      EasStream stream = c.streamAsync(prompt()).get(5, TimeUnit.SECONDS);
      CompletableFuture<Throwable> error = new CompletableFuture<>();
      stream.eventPublisher().subscribe(new java.util.concurrent.Flow.Subscriber<SseEvent>() {
        @Override
        public void onSubscribe(java.util.concurrent.Flow.Subscription subscription) {
          subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(SseEvent item) {}

        @Override
        public void onError(Throwable t) {
          error.complete(t);
        }

        @Override
        public void onComplete() {
          error.complete(null);
        }
      });
      StreamReadException e = assertInstanceOf(StreamReadException.class, error.get(5, TimeUnit.SECONDS));
      assertEquals(List.of(new SseEvent("message", "a", "", null)), e.events());
      assertEquals(1, e.eventsDelivered());
    }
  }
}
