package io.github.easclient.eas;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The OpenAI-compatible chat helper's rules (STREAM-11, STREAM-12) as pure functions: the request
 * body, the reading of a stream chat's events, and the reading of a non-stream answer.
 */
final class Chat {
  /** STREAM-11: the sub-path of the chat API under the service URL (URL-5). */
  static final String PATH = "v1/chat/completions";
  private static final Set<String> ARGUMENTS = Set.of("model", "messages", "stream");

  private Chat() {}

  /** A stream chat's failure before it gets its context (URL, attempts, events) from the stream. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String kind;

    Failure(String kind, String message) {
      super(message, null, false, false);
      this.kind = kind;
    }
  }

  /** STREAM-11: model (if given), messages, then the stream members, then the params in their order. */
  static byte[] body(Object messages, String model, boolean stream, List<Map.Entry<String, Object>> params) {
    return Json.write(bodyMap(messages, model, stream, params));
  }

  static Map<String, Object> bodyMap(Object messages, String model, boolean stream,
      List<Map.Entry<String, Object>> params) {
    if (!(messages instanceof List) || ((List<?>) messages).isEmpty()) {
      throw new EasConfigException("chat messages must be a non-empty list of {\"role\", \"content\"} maps");
    }
    Map<String, Object> body = new LinkedHashMap<>();
    if (model != null) {
      body.put("model", model);
    }
    body.put("messages", messages);
    if (stream) {
      body.put("stream", true);
      body.put("stream_options", Map.of("include_usage", true));
    }
    for (Map.Entry<String, Object> p : params) {
      if (ARGUMENTS.contains(p.getKey())) {
        throw new EasConfigException("chat param \"" + p.getKey() + "\" is an argument of chat: pass it as "
            + (p.getKey().equals("stream") ? "chat(...) or chatStream(...)" : p.getKey() + "(...)")
            + ", not as a param");
      }
      // A stream_options param replaces ours in our place (LinkedHashMap keeps the first position).
      body.put(p.getKey(), p.getValue());
    }
    return body;
  }

  /** STREAM-11: what the chat asks for. */
  static String accept(boolean stream) {
    return stream ? Defaults.STREAM_ACCEPT : "application/json";
  }

  /** The state of one stream chat (STREAM-12): deltas go out as they come; usage and finish reason are kept. */
  static final class Reader {
    Map<String, Object> usage;
    String finishReason;
    boolean done;

    /** Takes one event; text deltas go to {@code out}. Failure for an error event or bad data. */
    @SuppressWarnings("unchecked")
    void event(SseEvent e, Consumer<String> out) {
      if (done) {
        return;
      }
      boolean errorType = e.event().equals("error");
      if (!errorType && !e.event().equals("message")) {
        return;
      }
      if (!errorType && e.data().equals("[DONE]")) {
        done = true;
        return;
      }
      Object data;
      try {
        data = Json.parse(e.data());
      } catch (IllegalArgumentException x) {
        if (errorType) {
          throw eventError(e.data());
        }
        throw new Failure("StreamProtocolError", "a chat event's data is not JSON (" + x.getMessage() + "): "
            + excerpt(e.data()));
      }
      if (errorType) {
        Object inner = data instanceof Map && ((Map<?, ?>) data).containsKey("error") ? ((Map<?, ?>) data).get("error")
            : data;
        throw eventError(inner);
      }
      if (!(data instanceof Map)) {
        throw new Failure("StreamProtocolError", "a chat event's data is not a JSON object: " + excerpt(e.data()));
      }
      Map<String, Object> m = (Map<String, Object>) data;
      if (m.get("error") != null) {
        throw eventError(m.get("error"));
      }
      if (m.get("choices") instanceof List) {
        for (Object c : (List<Object>) m.get("choices")) {
          choice(c, out);
        }
      }
      if (m.get("usage") instanceof Map) {
        usage = (Map<String, Object>) m.get("usage");
      }
    }

    private void choice(Object c, Consumer<String> out) {
      if (!(c instanceof Map)) {
        return;
      }
      Map<?, ?> choice = (Map<?, ?>) c;
      Object index = choice.get("index");
      if (index != null && !(index instanceof Number && ((Number) index).doubleValue() == 0)) {
        return;
      }
      if (choice.get("delta") instanceof Map) {
        Object content = ((Map<?, ?>) choice.get("delta")).get("content");
        if (content instanceof String && !((String) content).isEmpty()) {
          out.accept((String) content);
        }
      }
      if (choice.get("finish_reason") instanceof String) {
        finishReason = (String) choice.get("finish_reason");
      }
    }

    /** The body ended: without [DONE] the answer was cut short. */
    void end() {
      if (!done) {
        throw new Failure("StreamIncompleteError", "the chat stream ended without data: [DONE]: the server or a "
            + "proxy cut the answer short");
      }
    }
  }

  /** STREAM-12: the error's message string if it has one, else its compact JSON (or its text). */
  static Failure eventError(Object error) {
    String shown;
    if (error instanceof Map && ((Map<?, ?>) error).get("message") instanceof String) {
      shown = (String) ((Map<?, ?>) error).get("message");
    } else if (error instanceof String) {
      shown = (String) error;
    } else {
      shown = new String(Json.write(error), StandardCharsets.UTF_8);
    }
    return new Failure("StreamEventError", "the service sent an error in the chat stream: " + excerpt(shown));
  }

  private static String excerpt(String s) {
    return s.length() <= Errors.MESSAGE_EXCERPT ? s : s.substring(0, Errors.MESSAGE_EXCERPT) + "...";
  }

  /** STREAM-11: a non-stream answer's text, usage and finish reason; PayloadException if it has no message. */
  @SuppressWarnings("unchecked")
  static ChatAnswer answer(byte[] body) {
    Object v;
    try {
      v = Json.parse(new String(body, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new PayloadException("the chat answer is not JSON (" + e.getMessage() + ")");
    }
    Object choices = v instanceof Map ? ((Map<?, ?>) v).get("choices") : null;
    Object first = choices instanceof List && !((List<?>) choices).isEmpty() ? ((List<?>) choices).get(0) : null;
    Object message = first instanceof Map ? ((Map<?, ?>) first).get("message") : null;
    if (!(message instanceof Map)) {
      throw new PayloadException("the chat answer is not a JSON object with a non-empty choices list whose first "
          + "member has a message; is this an OpenAI-compatible chat service?");
    }
    Object content = ((Map<?, ?>) message).get("content");
    Object usage = ((Map<?, ?>) v).get("usage");
    Object finish = ((Map<?, ?>) first).get("finish_reason");
    return new ChatAnswer(content instanceof String ? (String) content : "",
        usage instanceof Map ? (Map<String, Object>) usage : null, finish instanceof String ? (String) finish : null);
  }
}
