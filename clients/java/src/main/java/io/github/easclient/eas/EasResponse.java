package io.github.easclient.eas;

import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** A successful (2xx) answer: status, headers, body and how many attempts it took. */
public final class EasResponse {
  private final int status;
  private final HttpHeaders headers;
  private final byte[] body;
  private final int attempts;

  EasResponse(int status, HttpHeaders headers, byte[] body, int attempts) {
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.attempts = attempts;
  }

  public int status() {
    return status;
  }

  /** All response headers (names are case-insensitive). */
  public Map<String, List<String>> headers() {
    return headers.map();
  }

  /** The first value of a header, or null. */
  public String header(String name) {
    return headers.firstValue(name).orElse(null);
  }

  /** The body (gzip already decoded). The array is the response's own: copy it before changing it. */
  public byte[] body() {
    return body;
  }

  /** The body decoded as UTF-8. */
  public String text() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** The body decoded as a TensorFlow response. */
  public TFResponse tf() {
    return TFResponse.parse(body);
  }

  /** The body decoded as a PyTorch response. */
  public TorchResponse torch() {
    return TorchResponse.parse(body);
  }

  public int attempts() {
    return attempts;
  }

  @Override
  public String toString() {
    return "EasResponse{status=" + status + ", " + body.length + " bytes, attempts=" + attempts + "}";
  }
}
