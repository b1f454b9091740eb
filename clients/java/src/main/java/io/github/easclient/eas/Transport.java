package io.github.easclient.eas;

import java.io.IOException;
import java.net.http.HttpHeaders;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * The HTTP engine under {@link Call}: sends one attempt and returns the whole answer, or fails with an
 * {@link IOException} that {@link Call#errorKind} classifies. Call owns every decision (retries,
 * errors, the CONN-1 resend); an engine only moves bytes, enforces the attempt's time limit
 * (TIMEOUT-1) and size cap (LIMIT-1), and says whether a failure is CONN-1's "reused idle connection,
 * reset before any response byte". Two engines: {@link SocketTransport} (the client's own HTTP/1.1
 * over pooled sockets, the default for blocking calls) and {@link JdkTransport} ({@code java.net.http}).
 */
interface Transport {
  /** Blocking: sends in the calling thread. Interrupting the thread ends the attempt. */
  Reply send(Exchange x) throws IOException, InterruptedException;

  /** Non-blocking; cancelling the returned future abandons the exchange (its connection is closed). */
  CompletableFuture<Reply> sendAsync(Exchange x);

  /** CONN-1: true when {@code err} is a reused idle connection's failure before any response byte. */
  boolean stale(Exchange x, Throwable err);

  /** Releases pooled connections; in-flight exchanges finish and then close theirs. */
  void close();

  /** One attempt's request and limits, made by {@link Call}. */
  final class Exchange {
    /** {@code scheme://host[:port]}, the pool key. */
    final String origin;
    /** The whole URL ({@code origin + pathAndQuery}). */
    final String target;
    /** What follows the origin: path and query. */
    final String pathAndQuery;
    /** Name/value pairs (User-Agent, Content-Type, caller headers); may be shared, never written to. */
    final String[] headers;
    /** The Authorization value added after {@link #headers}, or null (already in them, or none). */
    final String authorization;
    final byte[] body;
    /** When the attempt's time is up ({@link System#nanoTime()}). */
    final long deadlineNanos;
    /** Largest decoded body; {@code Long.MAX_VALUE} for none. */
    final long cap;
    /** CONN-1's resend: it must go out on a new connection. */
    final boolean resend;
    /**
     * Engine state of this exchange (JdkTransport: its body handler and whether it counted as reused;
     * SocketTransport: its connection, which a cancelling thread closes).
     */
    volatile Object state;

    Exchange(String origin, String target, String pathAndQuery, String[] headers, String authorization, byte[] body,
        long deadlineNanos, long cap, boolean resend) {
      this.origin = origin;
      this.target = target;
      this.pathAndQuery = pathAndQuery;
      this.headers = headers;
      this.authorization = authorization;
      this.body = body;
      this.deadlineNanos = deadlineNanos;
      this.cap = cap;
      this.resend = resend;
    }
  }

  /** A complete answer: the body as received (Call decodes gzip, HTTP-3). */
  final class Reply {
    final int status;
    final HttpHeaders headers;
    final byte[] body;

    Reply(int status, HttpHeaders headers, byte[] body) {
      this.status = status;
      this.headers = headers;
      this.body = body;
    }
  }

  /** The attempt's time ran out: {@link Call#errorKind} sees the TimeoutException cause ("timeout"). */
  final class AttemptTimeout extends IOException {
    private static final long serialVersionUID = 1L;

    AttemptTimeout(String message) {
      super(message, new TimeoutException(message));
    }
  }
}
