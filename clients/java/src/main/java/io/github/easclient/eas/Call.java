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

  /**
   * With {@code jdk.httpclient.enableAllMethodRetry} set (JVM-wide), the JDK itself sends a POST again
   * once when a pooled connection fails before any response byte: exactly CONN-1, from the JDK's own
   * knowledge of the connection. The client then leaves the resend to it instead of adding a second one.
   */
  static final boolean JDK_RESENDS = jdkResends();

  private static boolean jdkResends() {
    try {
      String s = System.getProperty("jdk.httpclient.enableAllMethodRetry");
      return s != null && (s.isEmpty() || Boolean.parseBoolean(s));
    } catch (SecurityException e) {
      return false;
    }
  }

  /**
   * True when the failure shows that part of an answer arrived: the JDK reports a malformed status
   * line or header block (bytes were read) as a {@link java.net.ProtocolException}. A reset or an end
   * of stream carries no such sign, so those count as "before any response byte".
   */
  static boolean afterResponseBytes(Throwable err) {
    for (Throwable x = err; x != null; x = x.getCause()) {
      if (x instanceof java.net.ProtocolException) {
        return true;
      }
    }
    return false;
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

  /**
   * The blocking form: every attempt runs {@code HttpClient.send} in the caller's thread (no hand-off
   * to another thread, which costs more than half the throughput of a sequential loop) and waits out
   * backoffs with a plain sleep. The decisions are the same as the async form's.
   */
  EasResponse run() {
    String exclude = null;
    boolean resend = false;
    String origin = null;
    String key = null;
    while (true) {
      if (!resend) {
        origin = c.endpoint.origin();
        key = null;
      }
      if (c.directState != null && !resend) {
        Discovery.Instance inst = EasClient.join(c.directState.pick(exclude, true));
        origin = "http://" + hostPort(inst);
        key = inst.key();
      }
      Attempt a = prepare(origin, key, resend);
      if (a.failure != null) {
        throw a.failure;
      }
      HttpResponse<byte[]> resp = null;
      Throwable err = null;
      boolean userInterrupt = false;
      // HttpClient.send, not sendAsync + get: the public sendAsync completes on the client's executor,
      // a hand-off that costs more than half a sequential loop's throughput. At the attempt's deadline
      // the watchdog interrupts this thread, and send cancels the exchange.
      a.body.armBlocking(Thread.currentThread());
      try {
        resp = c.http.send(a.request, a.body);
      } catch (IOException e) {
        err = e;
      } catch (InterruptedException e) {
        err = e;
        userInterrupt = !a.body.expired();
      } catch (IllegalArgumentException e) {
        throw new EasConfigException("cannot send the request: " + Redact.text(e.getMessage(), c.token()));
      } finally {
        if (a.body.disarm() && !userInterrupt) {
          Thread.interrupted();
        }
      }
      if (userInterrupt) {
        Thread.currentThread().interrupt();
        throw new EasReadException("interrupted while waiting for " + url(), url(), a.n, err);
      }
      Step step = step(a, resp, err);
      exclude = lastInstance;
      resend = step.resend;
      if (step.resend) {
        continue;
      }
      if (step.error != null) {
        throw step.error;
      }
      if (step.response != null) {
        return step.response;
      }
      sleep(step.delay, a.n);
    }
  }

  private void sleep(double seconds, int n) {
    try {
      Thread.sleep((long) (seconds * 1000), (int) ((seconds * 1e9) % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EasReadException("interrupted while waiting to retry " + url(), url(), n, e);
    }
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
      send(c.endpoint.origin(), null, false);
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
        send("http://" + hostPort(inst), inst.key(), false);
      }
    });
  }

  private static String hostPort(Discovery.Instance i) {
    return (i.ip.indexOf(':') >= 0 && !i.ip.startsWith("[") ? "[" + i.ip + "]" : i.ip) + ":" + i.port;
  }

  /** One attempt ready to send, or the reason it cannot be. */
  private static final class Attempt {
    int n;
    String target;
    String origin;
    String instanceKey;
    boolean capped;
    boolean reused;
    HttpRequest request;
    CappedBody.Handler body;
    EasException failure;
  }

  /** What to do after an attempt: return, raise, resend (CONN-1) or retry after {@code delay} seconds. */
  private static final class Step {
    EasResponse response;
    EasException error;
    boolean resend;
    double delay;
  }

  /**
   * Builds one attempt; {@code resend} is CONN-1's single resend of a request whose reused idle
   * connection was reset before any response byte: it is not an attempt and waits no backoff.
   */
  private Attempt prepare(String origin, String instanceKey, boolean resend) {
    Attempt a = new Attempt();
    if (!resend) {
      attempts++;
    }
    a.n = attempts;
    a.origin = origin;
    a.instanceKey = instanceKey;
    a.reused = !resend && c.idle.take(origin);
    Duration t = timeout;
    if (policy.hasDeadline()) {
      double left = policy.deadline - elapsed();
      if (left <= 0) {
        a.failure = new DeadlineExceededException("deadline of " + policy.deadline + " s passed before attempt " + a.n,
            url(), a.n - 1, null);
        return a;
      }
      if (left < t.toNanos() / 1e9) {
        t = Duration.ofNanos((long) (left * 1e9));
        a.capped = true;
      }
    }
    // The plain call (the service URL itself) reuses one target string and one parsed URI.
    boolean plain = origin == c.endpoint.origin() && path == c.endpoint.path && query == c.endpoint.queryString(null);
    a.target = plain ? c.plainTarget : origin + path + query;
    try {
      // No HttpRequest timeout: the JDK's registers a timer with its selector thread on every request
      // and stops at the headers; the watchdog bounds the whole attempt instead (TIMEOUT-1).
      HttpRequest.Builder rb = HttpRequest.newBuilder(plain ? c.plainUri() : URI.create(a.target))
          .POST(HttpRequest.BodyPublishers.ofByteArray(req.payload.body));
      if (!c.signed && callHeaders.isEmpty()) {
        // HDR-1..3 give the same headers to every such attempt; only the credential is added each time.
        rb.headers(c.plainHeaders(req.payload));
        String token = c.token();
        if (token != null) {
          rb.header("Authorization", token);
        }
      } else {
        for (Map.Entry<String, String> h : Headers.build(c.userAgent, c.token(), c.signed, req.payload, c.headers,
            callHeaders, path, c.clock.instant())) {
          rb.header(h.getKey(), h.getValue());
        }
      }
      a.request = rb.build();
    } catch (IllegalArgumentException e) {
      a.failure = new EasConfigException("cannot build the request: " + Redact.text(e.getMessage(), c.token()));
      return a;
    }
    // TIMEOUT-1: from sending to the last body byte, so a dripping peer cannot hold a call past it.
    a.body = CappedBody.handler(c.maxResponseBytes, System.nanoTime() + t.toNanos(), c.watchdog);
    return a;
  }

  private void send(String origin, String instanceKey, boolean resend) {
    if (result.isDone()) {
      return;
    }
    Attempt a = prepare(origin, instanceKey, resend);
    if (a.failure != null) {
      result.completeExceptionally(a.failure);
      return;
    }
    CompletableFuture<HttpResponse<byte[]>> f;
    try {
      f = sendAsync(a);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return;
    }
    inflight = f;
    if (result.isCancelled()) {
      f.cancel(true);
      return;
    }
    f.whenComplete((resp, err) -> {
      a.body.disarm();
      if (result.isDone()) {
        return;
      }
      try {
        Step step = step(a, resp, err);
        if (step.resend) {
          send(a.origin, a.instanceKey, true);
        } else if (step.error != null) {
          result.completeExceptionally(step.error);
        } else if (step.response != null) {
          result.complete(step.response);
        } else {
          schedule(step.delay);
        }
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
  }

  /** Sends one attempt and starts its time limit; a request the HTTP client refuses is a config error. */
  private CompletableFuture<HttpResponse<byte[]>> sendAsync(Attempt a) {
    CompletableFuture<HttpResponse<byte[]>> f;
    try {
      f = c.http.sendAsync(a.request, a.body);
    } catch (IllegalArgumentException e) {
      throw new EasConfigException("cannot send the request: " + Redact.text(e.getMessage(), c.token()));
    }
    a.body.arm(f);
    return f;
  }

  /** Classifies an attempt's outcome and decides the next step (the same for both forms). */
  private Step step(Attempt a, HttpResponse<byte[]> resp, Throwable err) {
    Step step = new Step();
    if (err != null && a.body.expired()) {
      // The watchdog ended the attempt (a cancelled exchange or a cut body): a timeout, whatever it looks like.
      err = new java.util.concurrent.TimeoutException("the attempt did not finish within the timeout");
    }
    if (err == null && !resp.headers().firstValue("Connection").orElse("").equalsIgnoreCase("close")) {
      c.idle.give(a.origin);
    }
    String kind = err == null ? null : errorKind(err);
    if (err != null && a.reused && "reset".equals(kind) && !JDK_RESENDS && !afterResponseBytes(err)) {
      if (EasClient.LOG.isLoggable(Level.DEBUG)) {
        EasClient.LOG.log(Level.DEBUG, "attempt " + a.n + " POST " + Redact.text(a.target, c.token())
            + " -> reset on a reused idle connection: sent again on a new connection");
      }
      step.resend = true;
      return step;
    }
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
    if (c.directState != null && a.instanceKey != null) {
      // DISC-5: only a connection failure cools an instance off; any HTTP answer ends its streak.
      if ("connect".equals(kind) || "reset".equals(kind)) {
        c.directState.eject(a.instanceKey);
      } else if (resp != null) {
        c.directState.succeed(a.instanceKey);
      }
      lastInstance = a.instanceKey;
    }
    String retryAfter = resp == null ? null : resp.headers().firstValue("Retry-After").orElse(null);
    Retry.Decision d = Retry.decide(policy, a.n, status, kind, retryAfter, elapsed(), c.jitter.getAsDouble(),
        c.clock.millis() / 1000.0);
    if (EasClient.LOG.isLoggable(Level.DEBUG)) {
      EasClient.LOG.log(Level.DEBUG, "attempt " + a.n + " POST " + Redact.text(a.target, c.token()) + " -> "
          + (err == null ? "HTTP " + status : kind + " error") + ": " + d.reason);
    }
    switch (d.action) {
      case RETURN:
        step.response = new EasResponse(status, resp.headers(), body, a.n);
        return step;
      case RETRY:
        step.delay = d.delay;
        return step;
      default:
        EasException e = err != null ? transportError(kind, err, a.n) : statusError(resp, body, a.n);
        if (d.deadlineHit || (a.capped && "timeout".equals(kind))) {
          e = new DeadlineExceededException("deadline of " + policy.deadline + " s reached after " + a.n
              + " attempt(s); last error: " + e.getMessage(), url(), a.n, e);
        }
        step.error = e;
        return step;
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
    for (Throwable x = err; x != null; x = x.getCause()) {
      if (x instanceof CappedBody.TooLarge) {
        return "too_large";
      }
      if (x instanceof java.util.concurrent.TimeoutException) {
        return "timeout";
      }
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
