package io.github.easclient.eas;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * One call's attempt loop. Every decision comes from {@link Retry#decide}; this class only sends,
 * waits (scheduled, never sleeping a thread) and maps outcomes to errors.
 */
final class Call {
  private final EasClient c;
  private final EasRequest req;
  private final boolean awaitRefresh;
  private final RetryPolicy policy;
  private final Duration timeout;
  private final List<Map.Entry<String, String>> callHeaders;
  private final String path;
  private final String query;
  private final CompletableFuture<EasResponse> result = new CompletableFuture<>();
  private final long start = System.nanoTime();
  private volatile CompletableFuture<?> inflight;
  private int attempts;
  private String lastInstance;

  Call(EasClient c, EasRequest req, boolean awaitRefresh) {
    this.c = c;
    this.req = req;
    this.awaitRefresh = awaitRefresh;
    this.policy = req.maxRetries == null ? c.policy : c.policy.withMaxRetries(req.maxRetries);
    this.timeout = req.timeout == null ? c.timeout : req.timeout;
    this.callHeaders = Headers.check(req.headers, c.token() != null, "call");
    this.path = c.endpoint.path(req.path);
    this.query = c.endpoint.queryString(req.params);
  }

  CompletableFuture<EasResponse> start() {
    result.whenComplete((v, e) -> {
      CompletableFuture<?> f = inflight;
      if (result.isCancelled() && f != null) {
        f.cancel(true);
      }
    });
    attempt();
    return result;
  }

  private String url() {
    return c.endpoint.origin() + path;
  }

  private double elapsed() {
    return (System.nanoTime() - start) / 1e9;
  }

  private void attempt() {
    if (result.isDone()) {
      return;
    }
    if (c.directState == null) {
      send(c.endpoint.origin(), null);
      return;
    }
    CompletableFuture<Discovery.Instance> pick;
    try {
      pick = c.directState.pick(lastInstance, awaitRefresh);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return;
    }
    inflight = pick;
    pick.whenComplete((inst, err) -> {
      if (err != null) {
        result.completeExceptionally(EasClient.unwrap(err));
      } else {
        send("http://" + hostPort(inst), inst.key());
      }
    });
  }

  private static String hostPort(Discovery.Instance i) {
    return (i.ip.indexOf(':') >= 0 && !i.ip.startsWith("[") ? "[" + i.ip + "]" : i.ip) + ":" + i.port;
  }

  private void send(String origin, String instanceKey) {
    send(origin, instanceKey, false);
  }

  /**
   * One attempt; {@code resend} is CONN-1's single resend of a request whose reused idle connection
   * was reset before any response byte: it is not an attempt and waits no backoff.
   */
  private void send(String origin, String instanceKey, boolean resend) {
    if (result.isDone()) {
      return;
    }
    if (!resend) {
      attempts++;
    }
    final int n = attempts;
    final boolean reused = !resend && c.idle.take(origin);
    Duration t = timeout;
    boolean cappedByDeadline = false;
    if (policy.hasDeadline()) {
      double left = policy.deadline - elapsed();
      if (left <= 0) {
        result.completeExceptionally(new DeadlineExceededException("deadline of " + policy.deadline
            + " s passed before attempt " + n, url(), n - 1, null));
        return;
      }
      if (left < t.toNanos() / 1e9) {
        t = Duration.ofNanos((long) (left * 1e9));
        cappedByDeadline = true;
      }
    }
    final boolean capped = cappedByDeadline;
    String target = origin + path + query;
    HttpRequest.Builder rb;
    try {
      rb = HttpRequest.newBuilder(URI.create(target)).timeout(t)
          .POST(HttpRequest.BodyPublishers.ofByteArray(req.payload.body));
      for (Map.Entry<String, String> h : Headers.build(c.userAgent, c.token(), c.signed, req.payload, c.headers,
          callHeaders, path, c.clock.instant())) {
        rb.header(h.getKey(), h.getValue());
      }
    } catch (IllegalArgumentException e) {
      result.completeExceptionally(new EasConfigException("cannot build the request: " + Redact.text(e.getMessage(), c.token())));
      return;
    }
    CompletableFuture<HttpResponse<byte[]>> f;
    try {
      f = c.http.sendAsync(rb.build(), CappedBody.handler(c.maxResponseBytes));
    } catch (RuntimeException e) {
      result.completeExceptionally(e instanceof IllegalArgumentException
          ? new EasConfigException("cannot send the request: " + Redact.text(e.getMessage(), c.token())) : e);
      return;
    }
    inflight = f;
    if (result.isCancelled()) {
      f.cancel(true);
      return;
    }
    // TIMEOUT-1: the request timeout only covers the wait for the headers; this bounds the whole
    // attempt, body included, so a dripping peer cannot hold a call past the timeout.
    CompletableFuture<HttpResponse<byte[]>> bounded = f.copy().orTimeout(t.toNanos(), TimeUnit.NANOSECONDS);
    bounded.whenComplete((r, e) -> {
      if (e != null) {
        f.cancel(true);
      }
    });
    bounded.whenComplete((resp, err) -> {
      try {
        if (err == null && !resp.headers().firstValue("Connection").orElse("").equalsIgnoreCase("close")) {
          c.idle.give(origin);
        }
        if (err != null && reused && !result.isDone() && "reset".equals(errorKind(err))) {
          if (EasClient.LOG.isLoggable(Level.DEBUG)) {
            EasClient.LOG.log(Level.DEBUG, "attempt " + n + " POST " + Redact.text(target, c.token())
                + " -> reset on a reused idle connection: sent again on a new connection");
          }
          send(origin, instanceKey, true);
          return;
        }
        outcome(n, target, instanceKey, resp, err, capped);
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
  }

  private void outcome(int n, String target, String instanceKey, HttpResponse<byte[]> resp, Throwable err,
      boolean capped) {
    if (result.isDone()) {
      return;
    }
    String kind = err == null ? null : errorKind(err);
    int status = resp == null ? 0 : resp.statusCode();
    byte[] body = null;
    if (err == null) {
      try {
        body = decode(resp);
      } catch (CappedBody.TooLarge e) {
        err = e;
        kind = "too_large";
      }
    }
    if (c.directState != null && instanceKey != null) {
      if (err == null) {
        c.directState.succeed(instanceKey);
      } else if (!"timeout".equals(kind)) {
        c.directState.eject(instanceKey);
      }
      lastInstance = instanceKey;
    }
    String retryAfter = resp == null ? null : resp.headers().firstValue("Retry-After").orElse(null);
    Retry.Decision d = Retry.decide(policy, n, status, kind, retryAfter, elapsed(), c.jitter.getAsDouble(),
        c.clock.millis() / 1000.0);
    if (EasClient.LOG.isLoggable(Level.DEBUG)) {
      EasClient.LOG.log(Level.DEBUG, "attempt " + n + " POST " + Redact.text(target, c.token()) + " -> "
          + (err == null ? "HTTP " + status : kind + " error") + ": " + d.reason);
    }
    switch (d.action) {
      case RETURN:
        result.complete(new EasResponse(status, resp.headers(), body, n));
        return;
      case RETRY:
        schedule(d.delay);
        return;
      default:
        EasException e = err != null ? transportError(kind, err, n) : statusError(resp, body, n);
        if (d.deadlineHit || (capped && "timeout".equals(kind))) {
          e = new DeadlineExceededException("deadline of " + policy.deadline + " s reached after " + n
              + " attempt(s); last error: " + e.getMessage(), url(), n, e);
        }
        result.completeExceptionally(e);
    }
  }

  private void schedule(double delaySeconds) {
    long nanos = (long) (delaySeconds * 1e9);
    try {
      if (nanos <= 0) {
        c.executor.execute(this::attempt);
      } else {
        c.scheduler.schedule(() -> c.executor.execute(this::attempt), nanos, TimeUnit.NANOSECONDS);
      }
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException("EasClient was closed during the call", e));
    }
  }

  /** The body after gzip decoding, under the size cap (LIMIT-1 counts decoded bytes). */
  private byte[] decode(HttpResponse<byte[]> resp) {
    byte[] body = resp.body();
    String enc = resp.headers().firstValue("Content-Encoding").orElse("");
    if (!enc.equalsIgnoreCase("gzip") || body.length == 0) {
      return body;
    }
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      if (c.maxResponseBytes < 1) {
        return in.readAllBytes();
      }
      byte[] out = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, c.maxResponseBytes + 1));
      if (out.length > c.maxResponseBytes) {
        throw new CappedBody.TooLarge("the decoded response passed " + c.maxResponseBytes + " bytes");
      }
      return out;
    } catch (IOException e) {
      throw new EasReadException("the response says Content-Encoding: gzip but is not valid gzip: " + e.getMessage(),
          url(), attempts, e);
    }
  }

  private EasStatusException statusError(HttpResponse<byte[]> resp, byte[] body, int n) {
    return Errors.forStatus(resp.statusCode(), body == null ? new byte[0] : body, Errors.requestId(resp.headers()),
        c.endpoint.service, url(), n, c.token(), resp.headers());
  }

  static String errorKind(Throwable err) {
    if (err instanceof CappedBody.TooLarge || err.getCause() instanceof CappedBody.TooLarge) {
      return "too_large";
    }
    if (err instanceof java.util.concurrent.TimeoutException) {
      return "timeout";
    }
    Throwable t = err;
    while (t.getCause() != null && !(t instanceof IOException)) {
      t = t.getCause();
    }
    if (t instanceof HttpConnectTimeoutException || t instanceof ConnectException || t instanceof UnknownHostException
        || t instanceof UnresolvedAddressException || t.getCause() instanceof ConnectException
        || t.getCause() instanceof UnresolvedAddressException) {
      return "connect";
    }
    if (t instanceof HttpTimeoutException) {
      return "timeout";
    }
    return "reset";
  }

  private EasException transportError(String kind, Throwable err, int n) {
    Throwable t = err;
    while (t.getCause() != null && !(t instanceof IOException)) {
      t = t.getCause();
    }
    String why = Redact.text(String.valueOf(t.getMessage()), c.token());
    switch (kind) {
      case "too_large":
        return new ResponseTooLargeException("the response from " + url() + " is larger than maxResponseBytes ("
            + c.maxResponseBytes + " bytes; " + why + "); raise maxResponseBytes(...) or pass null for no limit",
            url(), n, null);
      case "connect":
        return new EasConnectException("cannot connect to " + url() + " (" + t.getClass().getSimpleName() + ": " + why
            + "); check the endpoint and that the service is reachable", url(), n, t);
      case "timeout":
        return new EasReadTimeoutException("no response from " + url() + " within " + timeout.toMillis()
            + " ms; raise timeout(...) or check the service", url(), n, t);
      default:
        return new EasReadException("the connection to " + url() + " broke before a full response ("
            + t.getClass().getSimpleName() + ": " + why + ")", url(), n, t);
    }
  }
}
