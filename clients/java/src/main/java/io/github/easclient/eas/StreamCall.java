package io.github.easclient.eas;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One stream call up to its response headers (STREAM-1..3): attempts, decisions and errors as
 * {@link Call} makes them for {@code predict} (every decision from {@link Retry#decide}), with two
 * differences. A 2xx answer's body is not read: it becomes an {@link EasStream} and nothing is retried
 * after that. And {@code timeout} bounds an attempt only up to the headers (a non-2xx body, read whole,
 * stays inside it); after them it bounds each gap between body bytes (the stream's own reads).
 */
final class StreamCall {
  private final EasClient c;
  private final EasRequest req;
  private final boolean awaitRefresh;
  private final RetryPolicy policy;
  private final Duration timeout;
  private final List<Map.Entry<String, String>> callHeaders;
  private final boolean callerAccept;
  private final String path;
  private final String query;
  private final long start = System.nanoTime();
  private final CompletableFuture<EasStream> result = new CompletableFuture<>();
  private volatile CompletableFuture<?> inflight;
  private int attempts;
  private String lastInstance;

  StreamCall(EasClient c, EasRequest req, boolean awaitRefresh) {
    this.c = c;
    this.req = req;
    this.awaitRefresh = awaitRefresh;
    this.policy = req.maxRetries == null ? c.policy : c.policy.withMaxRetries(req.maxRetries);
    this.timeout = req.timeout == null ? c.timeout : req.timeout;
    this.callHeaders = Headers.check(req.headers, c.token() != null, "call");
    this.callerAccept = hasAccept(c.headers) || hasAccept(callHeaders);
    this.path = c.endpoint.path(req.path);
    this.query = c.endpoint.queryString(req.params);
  }

  private static boolean hasAccept(List<Map.Entry<String, String>> headers) {
    for (Map.Entry<String, String> h : headers) {
      if (h.getKey().equalsIgnoreCase("Accept")) {
        return true;
      }
    }
    return false;
  }

  /** Sends a body the 2xx answer to which is handed on unread; any other answer is read whole, as predict does. */
  private static final class Handler implements HttpResponse.BodyHandler<Object> {
    final CappedBody.Handler whole;

    Handler(CappedBody.Handler whole) {
      this.whole = whole;
    }

    @Override
    public HttpResponse.BodySubscriber<Object> apply(HttpResponse.ResponseInfo info) {
      if (info.statusCode() >= 200 && info.statusCode() < 300) {
        return new StreamBody();
      }
      return HttpResponse.BodySubscribers.mapping(whole.apply(info), b -> b);
    }
  }

  /** One attempt ready to send, or the reason it cannot be. */
  private static final class Attempt {
    int n;
    String origin;
    String instanceKey;
    boolean capped;
    boolean reused;
    HttpRequest request;
    Handler handler;
    EasException failure;
  }

  /** The blocking form: attempts in the caller's thread, backoffs slept. */
  EasStream run() {
    return Attempts.run(c, url(), () -> lastInstance, this::attemptBlocking);
  }

  private Attempts.Step<EasStream> attemptBlocking(Attempts.Target target, boolean resend) {
    Attempt a = prepare(target.origin(), target.instanceKey(), resend);
    if (a.failure != null) {
      throw a.failure;
    }
    HttpResponse<Object> resp = null;
    Throwable err = null;
    boolean userInterrupt = false;
    a.handler.whole.armBlocking(Thread.currentThread());
    try {
      resp = c.http.send(a.request, a.handler);
    } catch (IOException e) {
      err = e;
    } catch (InterruptedException e) {
      err = e;
      userInterrupt = !a.handler.whole.expired();
    } catch (IllegalArgumentException e) {
      throw new EasConfigException("cannot send the request: " + Redact.text(e.getMessage(), c.token()));
    } finally {
      if (a.handler.whole.disarm() && !userInterrupt) {
        Thread.interrupted();
      }
    }
    if (userInterrupt) {
      Thread.currentThread().interrupt();
      throw new EasReadException("interrupted while waiting for " + url(), url(), a.n, err);
    }
    return step(a, resp, err);
  }

  /** The async form: retries are scheduled; {@code cancel(true)} stops the call (and closes a stream it opened). */
  CompletableFuture<EasStream> start() {
    return Attempts.start(result, () -> inflight, this::attempt);
  }

  private void attempt() {
    Attempts.pickThenSend(c, result, lastInstance, awaitRefresh, f -> inflight = f, this::send);
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
    CompletableFuture<HttpResponse<Object>> f;
    try {
      f = c.http.sendAsync(a.request, a.handler);
    } catch (IllegalArgumentException e) {
      result.completeExceptionally(new EasConfigException("cannot send the request: "
          + Redact.text(e.getMessage(), c.token())));
      return;
    }
    a.handler.whole.arm(f);
    inflight = f;
    if (result.isCancelled()) {
      f.cancel(true);
      return;
    }
    f.whenComplete((resp, err) -> {
      a.handler.whole.disarm();
      try {
        Attempts.Step<EasStream> step = step(a, resp, err);
        Attempts.settle(step, result, () -> send(a.origin, a.instanceKey, true), () -> schedule(step.delay),
            EasStream::close);
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
  }

  private void schedule(double delaySeconds) {
    Attempts.schedule(c, delaySeconds, this::attempt, result);
  }

  private String url() {
    return c.endpoint.origin() + path;
  }

  private double elapsed() {
    return (System.nanoTime() - start) / 1e9;
  }

  /** STREAM-1: the predict request of the same inputs, plus Accept: text/event-stream unless the caller set Accept. */
  private Attempt prepare(String origin, String instanceKey, boolean resend) {
    Attempt a = new Attempt();
    if (!resend) {
      attempts++;
    }
    a.n = attempts;
    a.origin = origin;
    a.instanceKey = instanceKey;
    a.reused = !resend && c.streamIdle.take(origin);
    Attempts.Limit limit = Attempts.limit(policy, timeout, elapsed(), a.n, url());
    if (limit.failure != null) {
      a.failure = limit.failure;
      return a;
    }
    a.capped = limit.capped;
    Duration t = limit.timeout;
    try {
      HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(origin + path + query))
          .POST(HttpRequest.BodyPublishers.ofByteArray(req.payload.body));
      for (Map.Entry<String, String> h : Headers.build(c.userAgent, c.token(), c.signed, req.payload, c.headers,
          callHeaders, path, c.clock.instant())) {
        rb.header(h.getKey(), h.getValue());
      }
      if (!callerAccept) {
        rb.header("Accept", Defaults.STREAM_ACCEPT);
      }
      a.request = rb.build();
    } catch (IllegalArgumentException e) {
      a.failure = new EasConfigException("cannot build the request: " + Redact.text(e.getMessage(), c.token()));
      return a;
    }
    a.handler = new Handler(CappedBody.handler(c.maxResponseBytes, System.nanoTime() + t.toNanos(), c.watchdog));
    return a;
  }

  /** Classifies an attempt's outcome as {@code Call} does; a 2xx answer becomes the stream. */
  private Attempts.Step<EasStream> step(Attempt a, HttpResponse<Object> resp, Throwable err) {
    Attempts.Step<EasStream> step = new Attempts.Step<>(a.n);
    if (err != null && a.handler.whole.expired()) {
      err = new java.util.concurrent.TimeoutException("no response headers within the timeout");
    }
    String kind = err == null ? null : Call.errorKind(err);
    if (err != null && a.reused && "reset".equals(kind) && !JdkTransport.JDK_RESENDS
        && !JdkTransport.afterResponseBytes(err)) {
      log(a, "reset on a reused idle connection: sent again on a new connection");
      step.resend = true;
      return step;
    }
    int status = resp == null ? 0 : resp.statusCode();
    boolean ok = err == null && status >= 200 && status < 300;
    if (err == null && !ok && !resp.headers().firstValue("Connection").orElse("").equalsIgnoreCase("close")) {
      c.streamIdle.give(a.origin);
    }
    lastInstance = Attempts.noteInstance(c, a.instanceKey, kind, resp != null, lastInstance);
    String retryAfter = resp == null ? null : resp.headers().firstValue("Retry-After").orElse(null);
    Retry.Decision d = Retry.decide(policy, a.n, status, kind, retryAfter, elapsed(), c.jitter.getAsDouble(),
        c.clock.millis() / 1000.0);
    log(a, (err == null ? "HTTP " + status : kind + " error") + ": " + d.reason);
    switch (d.action) {
      case RETURN:
        step.value = open(a, resp);
        return step;
      case RETRY:
        step.delay = d.delay;
        return step;
      default:
        EasException e = err != null ? transportError(kind, err, a.n)
            : Errors.forStatus(status, errorBody(resp), Errors.requestId(resp.headers()), c.endpoint.service,
                url(), a.n, c.token(), resp.headers());
        step.error = Attempts.withDeadline(e, d, a.capped, kind, policy, url(), a.n);
        return step;
    }
  }

  /** A non-2xx body as predict shows it: gzip decoded (HTTP-3), within maxResponseBytes (LIMIT-1). */
  private byte[] errorBody(HttpResponse<Object> resp) {
    byte[] body = (byte[]) resp.body();
    if (!resp.headers().firstValue("Content-Encoding").orElse("").equalsIgnoreCase("gzip") || body.length == 0) {
      return body;
    }
    long cap = c.maxResponseBytes < 1 ? Integer.MAX_VALUE - 8 : Math.min(c.maxResponseBytes, Integer.MAX_VALUE - 8);
    try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
      return in.readNBytes((int) cap);
    } catch (IOException e) {
      // Not valid gzip: the status error shows the bytes as they came.
      return body;
    }
  }

  private EasStream open(Attempt a, HttpResponse<Object> resp) {
    Long deadlineNanos = policy.hasDeadline() ? start + (long) (policy.deadline * 1e9) : null;
    return new EasStream(c, resp.statusCode(), resp.headers(), a.n, url(), a.origin, (StreamBody) resp.body(),
        timeout.toNanos(), deadlineNanos, policy.deadline);
  }

  private void log(Attempt a, String what) {
    if (EasClient.LOG.isLoggable(Level.DEBUG)) {
      EasClient.LOG.log(Level.DEBUG, "attempt " + a.n + " POST (stream) "
          + Redact.text(a.origin + path + query, c.token()) + " -> " + what);
    }
  }

  private EasException transportError(String kind, Throwable err, int n) {
    Throwable t = err;
    while (t.getCause() != null && !(t instanceof IOException)) {
      t = t.getCause();
    }
    String why = t.getClass().getSimpleName() + ": " + Redact.text(String.valueOf(t.getMessage()), c.token());
    switch (kind) {
      case "too_large":
        return new ResponseTooLargeException("the error response from " + url() + " is larger than maxResponseBytes ("
            + c.maxResponseBytes + " bytes; " + why + "); raise maxResponseBytes(...) or pass null for no limit",
            url(), n, null);
      case "connect":
        return new EasConnectException("cannot connect to " + url() + " (" + why
            + "); check the endpoint and that the service is reachable", url(), n, t);
      case "timeout":
        return new EasReadTimeoutException("no response headers from " + url() + " within " + timeout.toMillis()
            + " ms; raise timeout(...) or check the service", url(), n, t);
      default:
        return new EasReadException("the connection to " + url() + " broke before the response headers (" + why
            + ")", url(), n, t);
    }
  }
}
