package io.github.easclient.eas;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code java.net.http} engine: used for async calls, and for every call when the caller passes
 * their own {@link HttpClient} or picks {@link HttpEngine#JAVA_NET_HTTP}. The JDK does not say which
 * connection an exchange used, so CONN-1 rests on {@link IdleConnections}' count (see the README).
 */
final class JdkTransport implements Transport {
  /**
   * With {@code jdk.httpclient.enableAllMethodRetry} set (JVM-wide), the JDK itself sends a POST again
   * once when a pooled connection fails before any response byte: exactly CONN-1, from the JDK's own
   * knowledge of the connection. The client then leaves the resend to it instead of adding a second one.
   */
  static final boolean JDK_RESENDS = jdkResends();

  private final EasClient c;
  private final HttpClient http;
  final IdleConnections idle = new IdleConnections();

  JdkTransport(EasClient c, HttpClient http) {
    this.c = c;
    this.http = http;
  }

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

  /** One exchange's body handler (which also times it) and whether the count called it reused. */
  private static final class State {
    final CappedBody.Handler body;
    final boolean reused;

    State(CappedBody.Handler body, boolean reused) {
      this.body = body;
      this.reused = reused;
    }
  }

  private HttpRequest request(Exchange x) {
    // The plain call (the service URL itself) reuses one parsed URI. No HttpRequest timeout: the JDK's
    // registers a timer with its selector thread on every request and stops at the headers; the
    // watchdog bounds the whole attempt instead (TIMEOUT-1).
    URI uri = x.target == c.plainTarget ? c.plainUri() : URI.create(x.target);
    HttpRequest.Builder rb = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(x.body))
        .headers(x.headers);
    if (x.authorization != null) {
      rb.header("Authorization", x.authorization);
    }
    return rb.build();
  }

  private State start(Exchange x) {
    State s = new State(CappedBody.handler(x.cap, x.deadlineNanos, c.watchdog), !x.resend && idle.take(x.origin));
    x.state = s;
    return s;
  }

  /**
   * {@code HttpClient.send} in the caller's thread, not sendAsync + get: the public sendAsync completes
   * on the client's executor, a hand-off that costs more than half a sequential loop's throughput. At
   * the attempt's deadline the watchdog interrupts this thread, and send cancels the exchange.
   */
  @Override
  public Reply send(Exchange x) throws IOException, InterruptedException {
    HttpRequest req = request(x);
    State s = start(x);
    boolean userInterrupt = false;
    s.body.armBlocking(Thread.currentThread());
    HttpResponse<byte[]> resp;
    try {
      resp = http.send(req, s.body);
    } catch (IOException e) {
      throw s.body.expired() ? timedOut(e) : e;
    } catch (InterruptedException e) {
      userInterrupt = !s.body.expired();
      if (userInterrupt) {
        throw e;
      }
      throw timedOut(e);
    } finally {
      if (s.body.disarm() && !userInterrupt) {
        // The watchdog's interrupt, not a user's: it must not leak into the caller's thread.
        Thread.interrupted();
      }
    }
    return reply(x, resp);
  }

  @Override
  public CompletableFuture<Reply> sendAsync(Exchange x) {
    HttpRequest req = request(x);
    State s = start(x);
    CompletableFuture<HttpResponse<byte[]>> f = http.sendAsync(req, s.body);
    s.body.arm(f);
    CompletableFuture<Reply> out = new CompletableFuture<>();
    f.whenComplete((resp, err) -> {
      s.body.disarm();
      if (err != null) {
        // The watchdog ended the attempt (a cancelled exchange or a cut body): a timeout, whatever it looks like.
        out.completeExceptionally(s.body.expired() ? timedOut(err) : err);
      } else {
        out.complete(reply(x, resp));
      }
    });
    out.whenComplete((v, e) -> {
      if (out.isCancelled()) {
        f.cancel(true);
      }
    });
    return out;
  }

  private Reply reply(Exchange x, HttpResponse<byte[]> resp) {
    if (!resp.headers().firstValue("Connection").orElse("").equalsIgnoreCase("close")) {
      idle.give(x.origin);
    }
    return new Reply(resp.statusCode(), resp.headers(), resp.body());
  }

  private static AttemptTimeout timedOut(Throwable cause) {
    AttemptTimeout t = new AttemptTimeout("the attempt did not finish within the timeout");
    t.addSuppressed(cause);
    return t;
  }

  @Override
  public boolean stale(Exchange x, Throwable err) {
    State s = (State) x.state;
    return s != null && s.reused && !JDK_RESENDS && "reset".equals(Call.errorKind(err)) && !afterResponseBytes(err);
  }

  @Override
  public void close() {
    // The JDK's pool closes its connections when the HttpClient is collected (Java 17 has no close()).
  }
}
