package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** vectors/chat.json (STREAM-11, STREAM-12): the chat helper's request body, stream reading and answer. */
final class ChatVectors {
  private ChatVectors() {}

  static void run(SpecCase c) {
    if (c.hasIn("request")) {
      request(c);
    } else if (c.hasIn("events")) {
      events(c);
    } else {
      response(c);
    }
  }

  private static void request(SpecCase c) {
    JsonNode r = c.in("request");
    r.fieldNames().forEachRemaining(k -> assertTrue(List.of("messages", "model", "stream", "params").contains(k), k));
    Object messages = SpecTest.JSON.convertValue(r.get("messages"), Object.class);
    String model = Vectors.textOrNull(r.path("model"));
    boolean stream = r.get("stream").asBoolean();
    List<Map.Entry<String, Object>> params = new ArrayList<>();
    for (JsonNode p : r.path("params")) {
      params.add(new java.util.AbstractMap.SimpleImmutableEntry<>(p.get(0).asText(),
          SpecTest.JSON.convertValue(p.get(1), Object.class)));
    }
    if (c.hasEx("error")) {
      SpecTest.expectKind(c.ex("error").asText(), () -> Chat.body(messages, model, stream, params));
      return;
    }
    assertEquals(c.ex("path").asText(), Chat.PATH, "sub-path");
    assertEquals(c.ex("accept").asText(), Chat.accept(stream), "Accept");
    SpecTest.assertBytes(SpecTest.bytes(c.ex("body")), Chat.body(messages, model, stream, params), "body");
  }

  private static void events(SpecCase c) {
    Chat.Reader r = new Chat.Reader();
    List<String> deltas = new ArrayList<>();
    Chat.Failure failure = null;
    try {
      for (JsonNode e : c.in("events")) {
        r.event(new SseEvent(e.path("event").asText("message"), e.get("data").asText(), "", null), deltas::add);
      }
      r.end();
    } catch (Chat.Failure f) {
      failure = f;
    }
    List<String> want = new ArrayList<>();
    c.ex("deltas").forEach(d -> want.add(d.asText()));
    assertEquals(want, deltas, "deltas");
    if (c.hasEx("error")) {
      assertTrue(failure != null, "expected " + c.ex("error").asText());
      assertEquals(c.ex("error").asText(), failure.kind, failure.getMessage());
      if (c.hasEx("message_contains")) {
        String m = c.ex("message_contains").asText();
        assertTrue(failure.getMessage().contains(m), "message lacks " + m + ": " + failure.getMessage());
      }
      return;
    }
    if (failure != null) {
      fail("chat failed: " + failure.kind + ": " + failure.getMessage());
    }
    checkJson(c.ex("usage"), r.usage, "usage");
    assertEquals(Vectors.textOrNull(c.ex("finish_reason")), r.finishReason, "finish_reason");
  }

  private static void response(SpecCase c) {
    byte[] body = SpecTest.bytes(SpecTest.JSON.createObjectNode().set("json", c.in("response")));
    if (c.hasEx("error")) {
      SpecTest.expectKind(c.ex("error").asText(), () -> Chat.answer(body));
      return;
    }
    ChatAnswer a = Chat.answer(body);
    assertEquals(c.ex("text").asText(), a.text(), "text");
    checkJson(c.ex("usage"), a.usage(), "usage");
    assertEquals(Vectors.textOrNull(c.ex("finish_reason")), a.finishReason(), "finish_reason");
  }

  private static void checkJson(JsonNode want, Object got, String what) {
    String w = want.isNull() ? "null" : want.toString();
    assertEquals(w, got == null ? "null" : new String(Json.write(got), StandardCharsets.UTF_8), what);
  }
}
