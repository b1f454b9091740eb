package io.github.easclient.eas;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
  /** When the call's elapsed time (RETRY-6) starts: now, or an adaptive batch item's first dispatch. */
  private long start = System.nanoTime();
  /** Whether the first attempt deposits in the retry budget (not for an item put back, BUDGET-3). */
  private boolean deposit = true;
  /** An adaptive batch's limiter, told of every attempt (ADAPT-5); null outside such a batch. */
  private Hook hook;
  /** Set when the call ended on a 450/429 under a hook: the batch puts the item back (ADAPT-5). */
  volatile boolean putBack;
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

  /** What an adaptive batch learns from each attempt of its items' calls (ADAPT-5). */
  interface Hook {
    /** The limiter's epoch, read when an attempt is sent. */
    int epoch();

    /** One attempt's outcome, before the call goes on; {@code retryAfter} in seconds or null. */
    void observe(int status, String errorKind, double latency, int epochSent, Double retryAfter);
  }

  /** Makes this call one dispatch of an adaptive batch item first dispatched at {@code firstDispatch}. */
  Call underBatch(Hook hook, long firstDispatch, boolean deposit) {
    this.hook = hook;
    this.start = firstDispatch;
    this.deposit = deposit;
    return this;
  }

  CompletableFuture<EasResponse> start() {
    return Attempts.start(result, () -> inflight, this::attempt);
  }

  /**
   * The blocking form: every attempt is sent by the engine in the caller's thread (no hand-off to
   * another thread, which costs more than half the throughput of a sequential loop) and backoffs are
   * waited out with a plain sleep. The decisions are the same as the async form's.
   */
  EasResponse run() {
    return Attempts.run(c, url(), () -> lastInstance, this::attemptBlocking);
  }

  private Attempts.Step<EasResponse> attemptBlocking(Attempts.Target target, boolean resend) {
    Attempt a = prepare(c.transport, target.origin(), target.instanceKey(), resend);
    if (a.failure != null) {
      throw a.failure;
    }
    Transport.Reply resp = null;
    Throwable err = null;
    try {
      resp = a.transport.send(a.x);
    } catch (IOException e) {
      err = e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EasReadException("interrupted while waiting for " + url(), url(), a.n, e);
    } catch (IllegalArgumentException e) {
      throw new EasConfigException("cannot send the request: " + Redact.text(e.getMessage(), c.token()));
    }
    return step(a, resp, err);
  }

  private String url() {
    return c.endpoint.origin() + path;
  }

  private double elapsed() {
    return (System.nanoTime() - start) / 1e9;
  }

  private void attempt() {
    Attempts.pickThenSend(c, result, lastInstance, awaitRefresh, f -> inflight = f, this::send);
  }

  /** One attempt ready to send, or the reason it cannot be. */
  private static final class Attempt {
    int n;
    String target;
    String origin;
    String instanceKey;
    boolean capped;
    Transport transport;
    Transport.Exchange x;
    EasException failure;
    long sentAt;
    int epoch;
  }

  /**
   * Builds one attempt; {@code resend} is CONN-1's single resend of a request whose reused idle
   * connection was reset before any response byte: it is not an attempt and waits no backoff.
   */
  private Attempt prepare(Transport transport, String origin, String instanceKey, boolean resend) {
    Attempt a = new Attempt();
    if (!resend) {
      attempts++;
      if (attempts == 1 && deposit && c.budget != null) {
        c.budget.firstAttempt(EasClient.monotonic()); // BUDGET-3: each call deposits once
      }
    }
    a.n = attempts;
    a.origin = origin;
    a.instanceKey = instanceKey;
    a.transport = transport;
    Attempts.Limit limit = Attempts.limit(policy, timeout, elapsed(), a.n, url());
    if (limit.failure != null) {
      a.failure = limit.failure;
      return a;
    }
    a.capped = limit.capped;
    Duration t = limit.timeout;
    // The plain call (the service URL itself) reuses one target string (and the engine what it made of it).
    boolean plain = origin == c.endpoint.origin() && path == c.endpoint.path && query == c.endpoint.queryString(null);
    a.target = plain ? c.plainTarget : origin + path + query;
    String[] headers;
    String authorization = null;
    if (!c.signed && callHeaders.isEmpty()) {
      // HDR-1..3 give the same headers to every such attempt; only the credential is added each time.
      headers = c.plainHeaders(req.payload);
      authorization = c.token();
    } else {
      List<Map.Entry<String, String>> list = Headers.build(c.userAgent, c.token(), c.signed, req.payload, c.headers,
          callHeaders, path, c.clock.instant());
      headers = new String[list.size() * 2];
      for (int k = 0; k < list.size(); k++) {
        headers[2 * k] = list.get(k).getKey();
        headers[2 * k + 1] = list.get(k).getValue();
      }
    }
    // TIMEOUT-1: from sending to the last body byte, so a dripping peer cannot hold a call past it.
    a.x = new Transport.Exchange(origin, a.target, a.target.substring(origin.length()), headers, authorization,
        req.payload.body, System.nanoTime() + t.toNanos(), c.maxResponseBytes < 1 ? Long.MAX_VALUE : c.maxResponseBytes,
        resend);
    if (hook != null) {
      a.epoch = hook.epoch();
    }
    a.sentAt = System.nanoTime();
    return a;
  }

  private void send(String origin, String instanceKey, boolean resend) {
    if (result.isDone()) {
      return;
    }
    Attempt a = prepare(c.asyncTransport, origin, instanceKey, resend);
    if (a.failure != null) {
      result.completeExceptionally(a.failure);
      return;
    }
    CompletableFuture<Transport.Reply> f;
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
      if (result.isDone()) {
        return;
      }
      try {
        Attempts.Step<EasResponse> step = step(a, resp, err);
        // A response left undelivered holds nothing open, so there is nothing to discard.
        Attempts.settle(step, result, () -> send(a.origin, a.instanceKey, true), () -> schedule(step.delay),
            r -> { });
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
  }

  /** Sends one attempt and starts its time limit; a request the HTTP client refuses is a config error. */
  private CompletableFuture<Transport.Reply> sendAsync(Attempt a) {
    try {
      return a.transport.sendAsync(a.x);
    } catch (IllegalArgumentException e) {
      throw new EasConfigException("cannot send the request: " + Redact.text(e.getMessage(), c.token()));
    }
  }

  /** Classifies an attempt's outcome and decides the next step (the same for both forms). */
  private Attempts.Step<EasResponse> step(Attempt a, Transport.Reply resp, Throwable err) {
    Attempts.Step<EasResponse> step = new Attempts.Step<>(a.n);
    String kind = err == null ? null : errorKind(err);
    if (err != null && a.transport.stale(a.x, err)) {
      if (EasClient.LOG.isLoggable(Level.DEBUG)) {
        EasClient.LOG.log(Level.DEBUG, "attempt " + a.n + " POST " + Redact.text(a.target, c.token())
            + " -> reset on a reused idle connection: sent again on a new connection");
      }
      step.resend = true;
      return step;
    }
    int status = resp == null ? 0 : resp.status;
    byte[] body = null;
    if (err == null) {
      try {
        body = decode(resp);
      } catch (CappedBody.TooLarge e) {
        err = e;
        kind = "too_large";
      }
    }
    lastInstance = Attempts.noteInstance(c, a.instanceKey, kind, resp != null, lastInstance);
    String retryAfter = resp == null ? null : resp.headers.firstValue("Retry-After").orElse(null);
    if (hook != null) {
      hook.observe(status, kind, (System.nanoTime() - a.sentAt) / 1e9, a.epoch,
          retryAfter == null ? null : Retry.retryAfterSeconds(retryAfter, c.clock.millis() / 1000.0));
      if (err == null && (status == 450 || status == 429)) {
        // ADAPT-5: busy is not a failure of the item; the batch sends it again when the limiter allows.
        if (EasClient.LOG.isLoggable(Level.DEBUG)) {
          EasClient.LOG.log(Level.DEBUG, "attempt " + a.n + " POST " + Redact.text(a.target, c.token()) + " -> HTTP "
              + status + ": put back in the batch");
        }
        putBack = true;
        step.error = statusError(resp, body, a.n);
        return step;
      }
    }
    Retry.Decision d = Retry.decide(policy, a.n, status, kind, retryAfter, elapsed(), c.jitter.getAsDouble(),
        c.clock.millis() / 1000.0);
    boolean refused = d.action == Retry.Action.RETRY && c.budget != null
        && !c.budget.tryRetry(EasClient.monotonic());
    if (EasClient.LOG.isLoggable(Level.DEBUG)) {
      EasClient.LOG.log(Level.DEBUG, "attempt " + a.n + " POST " + Redact.text(a.target, c.token()) + " -> "
          + (err == null ? "HTTP " + status : kind + " error") + ": " + (refused ? "retry budget exhausted" : d.reason));
    }
    if (refused) {
      // BUDGET-2: the error the attempt would raise with its retries spent, marked and counted.
      EasException e = err != null ? transportError(kind, err, a.n) : statusError(resp, body, a.n);
      c.warnBudgetExhausted(url());
      step.error = e.budgetExhausted(c.retryBudget.exhaustedText());
      return step;
    }
    switch (d.action) {
      case RETURN:
        step.value = new EasResponse(status, resp.headers, body, a.n);
        return step;
      case RETRY:
        step.delay = d.delay;
        return step;
      default:
        EasException e = err != null ? transportError(kind, err, a.n) : statusError(resp, body, a.n);
        step.error = Attempts.withDeadline(e, d, a.capped, kind, policy, url(), a.n);
        return step;
    }
  }

  private void schedule(double delaySeconds) {
    Attempts.schedule(c, delaySeconds, this::attempt, result);
  }

  /** The body after gzip decoding, under the size cap (LIMIT-1 counts decoded bytes). */
  private byte[] decode(Transport.Reply resp) {
    byte[] body = resp.body;
    String enc = resp.headers.firstValue("Content-Encoding").orElse("");
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

  private EasStatusException statusError(Transport.Reply resp, byte[] body, int n) {
    return Errors.forStatus(resp.status, body == null ? new byte[0] : body, Errors.requestId(resp.headers),
        c.endpoint.service, url(), n, c.token(), resp.headers);
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
