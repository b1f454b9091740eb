package io.github.easclient.eas;

import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Status → error class and message (ERR-1, ERR-3). Pure. */
final class Errors {
  static final int BODY_EXCERPT = 512;
  static final int MESSAGE_EXCERPT = 200;
  private static final List<String> REQUEST_ID_HEADERS =
      List.of("X-Request-Id", "X-Eas-Request-Id", "X-Eas-Queueservice-Request-Id");

  private Errors() {}

  /** The request id from the first present header of the three (ERR-3), or null. */
  static String requestId(HttpHeaders headers) {
    for (String name : REQUEST_ID_HEADERS) {
      var v = headers.firstValue(name);
      if (v.isPresent()) {
        return v.get();
      }
    }
    return null;
  }

  static EasStatusException forStatus(int status, byte[] body, String requestId, String service, String url,
      int attempts, String token) {
    return forStatus(status, body, requestId, service, url, attempts, token, null);
  }

  /** SEC-3: the token is masked in the whole body before it is cut, and in headers and the request id. */
  static EasStatusException forStatus(int status, byte[] rawBody, String rawRequestId, String service, String url,
      int attempts, String token, HttpHeaders headers) {
    byte[] body = Redact.bytes(rawBody, token);
    String requestId = rawRequestId == null ? null : Redact.text(rawRequestId, token);
    byte[] excerpt = Arrays.copyOf(body, Math.min(body.length, BODY_EXCERPT));
    String shown = new String(body, 0, Math.min(body.length, MESSAGE_EXCERPT), StandardCharsets.UTF_8);
    if (shown.isEmpty()) {
      shown = "(empty body)";
    }
    Map<String, List<String>> shownHeaders = headers == null ? Map.of() : Redact.headerMap(headers.map(), token);
    String msg = Redact.text("HTTP " + status + " from service " + (service != null ? service : url) + ": " + shown
        + "; " + advice(status), token);
    EasStatusException e = make(status, msg, url, attempts, requestId, excerpt);
    e.headers = shownHeaders;
    return e;
  }

  private static EasStatusException make(int status, String msg, String url, int attempts, String requestId,
      byte[] excerpt) {
    switch (status) {
      case 400: return new BadRequestException(msg, url, attempts, status, requestId, excerpt);
      case 401: return new AuthenticationException(msg, url, attempts, status, requestId, excerpt);
      case 403: return new PermissionDeniedException(msg, url, attempts, status, requestId, excerpt);
      case 404: return new NotFoundException(msg, url, attempts, status, requestId, excerpt);
      case 408: return new ServerTimeoutException(msg, url, attempts, status, requestId, excerpt);
      case 429: return new RateLimitException(msg, url, attempts, status, requestId, excerpt);
      case 450: return new QueueFullException(msg, url, attempts, status, requestId, excerpt);
      case 500: return new InternalServerException(msg, url, attempts, status, requestId, excerpt);
      case 502: return new BadGatewayException(msg, url, attempts, status, requestId, excerpt);
      case 503: return new ServiceUnavailableException(msg, url, attempts, status, requestId, excerpt);
      case 504: return new GatewayTimeoutException(msg, url, attempts, status, requestId, excerpt);
      default:
        if (status >= 500 && status < 600) {
          return new ServerException(msg, url, attempts, status, requestId, excerpt);
        }
        return new EasStatusException(msg, url, attempts, status, requestId, excerpt);
    }
  }

  private static String advice(int status) {
    switch (status) {
      case 400: return "the processor rejected the input: check the request body and its format";
      case 401: return "check the token (token(...) or EAS_TOKEN) and the auth mode";
      case 403: return "this token has no access to the service: use the service's own token";
      case 404: return "check the endpoint and the service name";
      case 408: return "the server timed out the request: send smaller requests or raise the service's timeout";
      case 429: return "the service's rate limit was hit: slow down or raise the limit";
      case 450: return "the instance queue is full: lower the concurrency, retry later or add instances";
      case 500: return "the processor failed: check the service logs";
      case 502: case 503: case 504: return "the gateway or instances are unavailable: retry later and check the service status";
      default: return "see the response body";
    }
  }
}
