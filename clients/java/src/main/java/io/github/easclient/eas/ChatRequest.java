package io.github.easclient.eas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A chat with an OpenAI-compatible service (STREAM-11): the messages, an optional model and extra
 * params (in order), sent by {@link EasClient#chat} or {@link EasClient#chatStream} to
 * {@code <service URL>/v1/chat/completions}. Immutable.
 *
 * <pre>{@code
 * ChatRequest req = ChatRequest.builder()
 *     .message("system", "Be brief.")
 *     .message("user", "Hi")
 *     .model("qwen")                 // optional: many EAS LLM services serve one model
 *     .param("temperature", 0.2)
 *     .build();
 * }</pre>
 */
public final class ChatRequest {
  final List<Object> messages;
  final String model;
  final List<Map.Entry<String, Object>> params;
  final Map<String, String> headers;
  final Duration timeout;
  final Integer maxRetries;

  private ChatRequest(Builder b) {
    this.messages = List.copyOf(b.messages);
    this.model = b.model;
    this.params = List.copyOf(b.params);
    this.headers = Map.copyOf(b.headers);
    this.timeout = b.timeout;
    this.maxRetries = b.maxRetries;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The request of this chat: JSON body, sub-path, Accept, and the caller's headers and limits. */
  EasRequest toRequest(boolean stream) {
    EasRequest.Builder r = EasRequest.builder().json(Chat.bodyMap(messages, model, stream, params)).path(Chat.PATH);
    boolean accept = false;
    for (Map.Entry<String, String> h : headers.entrySet()) {
      r.header(h.getKey(), h.getValue());
      accept |= h.getKey().equalsIgnoreCase("Accept");
    }
    if (!accept) {
      r.header("Accept", Chat.accept(stream));
    }
    if (timeout != null) {
      r.timeout(timeout);
    }
    if (maxRetries != null) {
      r.maxRetries(maxRetries);
    }
    return r.build();
  }

  /** Builds a {@link ChatRequest}; {@code EasClient.chat*} checks it (EasConfigException naming the fix). */
  public static final class Builder {
    private final List<Object> messages = new ArrayList<>();
    private String model;
    private final List<Map.Entry<String, Object>> params = new ArrayList<>();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private Duration timeout;
    private Integer maxRetries;

    private Builder() {}

    /** Appends a message {@code {"role": role, "content": content}}. */
    public Builder message(String role, String content) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("role", role);
      m.put("content", content);
      messages.add(m);
      return this;
    }

    /** Appends messages given as maps (any members the service takes, such as tool calls). */
    public Builder messages(List<? extends Map<String, ?>> list) {
      messages.addAll(list);
      return this;
    }

    /** The model name; absent by default. */
    public Builder model(String model) {
      this.model = model;
      return this;
    }

    /** An extra body member after ours (temperature, max_tokens, ...); {@code stream_options} replaces ours. */
    public Builder param(String name, Object value) {
      params.add(new java.util.AbstractMap.SimpleImmutableEntry<>(name, value));
      return this;
    }

    /** A header for this chat only. */
    public Builder header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    /** The chat's timeout: the wait for headers and each gap between chunks (for a stream). */
    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    /** Retries for this chat (before the headers only, for a stream). */
    public Builder maxRetries(int maxRetries) {
      this.maxRetries = maxRetries;
      return this;
    }

    public ChatRequest build() {
      return new ChatRequest(this);
    }
  }
}
