package io.github.easclient.eas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One call: a body plus optional sub-path, query pairs, headers, timeout and retry count. Immutable.
 *
 * <pre>{@code
 * EasResponse r = client.request(EasRequest.builder()
 *     .text("2 105")
 *     .path("v1/chat")                 // appended to the service path
 *     .param("q", "a b")               // ?q=a%20b
 *     .header("X-Trace", "abc")
 *     .timeout(Duration.ofSeconds(2))
 *     .maxRetries(1)
 *     .build());
 * }</pre>
 */
public final class EasRequest {
  final Payload payload;
  final String path;
  final List<Map.Entry<String, Object>> params;
  final Map<String, String> headers;
  final Duration timeout;
  final Integer maxRetries;

  private EasRequest(Builder b) {
    if (b.payload == null) {
      throw new PayloadException("request has no body; call body(...), text(...), json(...), tf(...) or torch(...)");
    }
    this.payload = b.payload;
    this.path = b.path;
    this.params = Collections.unmodifiableList(new ArrayList<>(b.params));
    this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
    this.timeout = b.timeout;
    this.maxRetries = b.maxRetries;
  }

  /** The plain request of {@link #of}: no builder, no copies of empty collections. */
  private EasRequest(Payload payload) {
    this.payload = payload;
    this.path = null;
    this.params = List.of();
    this.headers = Map.of();
    this.timeout = null;
    this.maxRetries = null;
  }

  /** A request with this body (application/octet-stream) and nothing else. */
  public static EasRequest of(byte[] body) {
    return new EasRequest(Payload.bytes(body));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The body as it will be sent. */
  public byte[] body() {
    return payload.body.clone();
  }

  /** The content type sent unless a header overrides it. */
  public String contentType() {
    return payload.contentType;
  }

  @Override
  public String toString() {
    return "EasRequest{" + payload.body.length + " bytes " + payload.contentType + ", path=" + path
        + ", params=" + params + ", headers=" + Redact.headers(new ArrayList<>(headers.entrySet())) + "}";
  }

  /** Builds an {@link EasRequest}; the last body setter wins. */
  public static final class Builder {
    private Payload payload;
    private String path;
    private final List<Map.Entry<String, Object>> params = new ArrayList<>();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private Duration timeout;
    private Integer maxRetries;

    private Builder() {}

    /** Raw bytes, sent as application/octet-stream (the array is not copied: do not change it until sent). */
    public Builder body(byte[] body) {
      payload = Payload.bytes(body);
      return this;
    }

    /** Text, sent as UTF-8 with text/plain; charset=utf-8. */
    public Builder text(String text) {
      payload = Payload.text(text);
      return this;
    }

    /** A Map, List or array sent as compact JSON with application/json. */
    public Builder json(Object value) {
      payload = Payload.json(value);
      return this;
    }

    /** A TensorFlow request (the response decodes with {@link TFResponse#parse}). */
    public Builder tf(TFRequest request) {
      payload = Payload.tf(request);
      return this;
    }

    /** A PyTorch request (the response decodes with {@link TorchResponse#parse}). */
    public Builder torch(TorchRequest request) {
      payload = Payload.torch(request);
      return this;
    }

    /** Sub-path appended to the service path ("v1/chat"); must not contain '?' or '#'. */
    public Builder path(String path) {
      this.path = path;
      return this;
    }

    /** A query pair; a null value gives a bare key. Pairs keep their order. */
    public Builder param(String key, Object value) {
      if (key == null) {
        throw new EasConfigException("query key must not be null");
      }
      params.add(new java.util.AbstractMap.SimpleImmutableEntry<>(key, value));
      return this;
    }

    /** A header for this call; replaces a client header of the same name (any case). */
    public Builder header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    /** Headers for this call (copied). */
    public Builder headers(Map<String, String> headers) {
      this.headers.putAll(headers);
      return this;
    }

    /** Read timeout of each attempt of this call, instead of the client's. */
    public Builder timeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new EasConfigException("timeout must be positive, got " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /** Retries for this call, instead of the client's. */
    public Builder maxRetries(int maxRetries) {
      if (maxRetries < 0) {
        throw new EasConfigException("maxRetries must be >= 0, got " + maxRetries);
      }
      this.maxRetries = maxRetries;
      return this;
    }

    public EasRequest build() {
      return new EasRequest(this);
    }
  }
}
