package io.github.easclient.eas;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The client's own blocking HTTP/1.1 engine over pooled keep-alive sockets, the default for blocking
 * calls: each attempt writes its request and reads the answer in the calling thread, with no
 * hand-off to another thread and no per-request objects beyond the answer. It knows which connection
 * an attempt used, so CONN-1 is exact: a failure is "stale" only when the connection came from the
 * pool and not one byte of the answer arrived. No proxies and no redirects (HTTP-2); {@code https}
 * uses the JVM's default {@link SSLSocketFactory} with host name verification.
 */
final class SocketTransport implements Transport {
  /** Idle connections kept per origin; more are closed when they come back. */
  static final int MAX_IDLE_PER_ORIGIN = 64;
  /**
   * An idle connection older than this is closed instead of reused: servers commonly drop idle
   * connections after 60–75 s, and sending on one they already closed costs a round trip (CONN-1).
   */
  static final long MAX_IDLE_NANOS = 50_000_000_000L;
  /**
   * Async exchanges of one client on the wire at once. Each holds an executor thread while it runs (the
   * engine blocks), so more than this wait their turn in a queue (their timeout runs meanwhile) instead
   * of each taking a thread: ten thousand predictAsync calls do not make ten thousand threads.
   */
  static final int MAX_ASYNC_EXCHANGES = 64;
  /** A body up to this size is copied behind the headers and sent in the same write (one TCP segment). */
  static final int INLINE_BODY_BYTES = 16 * 1024;

  private final int connectTimeoutMillis;
  private final Watchdog watchdog;
  private final Executor executor;
  private final SSLSocketFactory tls;
  private final ConcurrentHashMap<String, Origin> origins = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ConcurrentLinkedDeque<Http1Connection>> idle = new ConcurrentHashMap<>();
  private final java.util.concurrent.ConcurrentLinkedQueue<Job> waiting = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
  private volatile Head lastHead;
  private volatile boolean closed;

  SocketTransport(long connectTimeoutMillis, Watchdog watchdog, Executor executor) {
    this(connectTimeoutMillis, watchdog, executor, null);
  }

  /** With {@code tls} null, the JVM's default {@link SSLSocketFactory} (tests pass their own trust). */
  SocketTransport(long connectTimeoutMillis, Watchdog watchdog, Executor executor, SSLSocketFactory tls) {
    this.connectTimeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, connectTimeoutMillis));
    this.watchdog = watchdog;
    this.executor = executor;
    this.tls = tls;
  }

  /** Host, port, scheme and Host header of an origin, parsed once. */
  private static final class Origin {
    final String host;
    final int port;
    final boolean https;
    final String authority;

    Origin(String origin) {
      URI u = URI.create(origin);
      this.https = "https".equalsIgnoreCase(u.getScheme());
      String h = u.getHost();
      this.host = h != null && h.startsWith("[") ? h.substring(1, h.length() - 1) : h;
      this.port = u.getPort() >= 0 ? u.getPort() : https ? 443 : 80;
      this.authority = u.getRawAuthority();
      if (host == null || authority == null) {
        throw new IllegalArgumentException("no host in " + origin);
      }
    }
  }

  /** The request line and headers of the last request shape, reused while target and headers are the same. */
  private static final class Head {
    final String target;
    final String[] headers;
    final byte[] bytes;

    Head(String target, String[] headers, byte[] bytes) {
      this.target = target;
      this.headers = headers;
      this.bytes = bytes;
    }
  }

  @Override
  public Reply send(Exchange x) throws IOException, InterruptedException {
    Origin o = origins.computeIfAbsent(x.origin, Origin::new);
    Http1Connection conn = x.resend ? null : take(x.origin);
    if (conn == null) {
      try {
        conn = open(o, x.deadlineNanos);
      } catch (ClosedByInterruptException e) {
        throw interrupted(e);
      }
    }
    x.state = conn;
    boolean inline = x.body.length <= INLINE_BODY_BYTES;
    byte[] head = head(x, o, inline);
    try {
      Reply r = conn.exchange(head, inline ? null : x.body, x.deadlineNanos, x.cap, watchdog);
      if (conn.keepAlive && conn.drained()) {
        give(x.origin, conn);
      } else {
        conn.close();
      }
      return r;
    } catch (ClosedByInterruptException e) {
      conn.close();
      throw interrupted(e);
    } catch (IOException | RuntimeException e) {
      conn.close();
      if (Thread.currentThread().isInterrupted()) {
        throw interrupted(e);
      }
      throw e;
    }
  }

  private static InterruptedException interrupted(Throwable cause) {
    InterruptedException ie = new InterruptedException("interrupted during the exchange");
    ie.initCause(cause);
    Thread.interrupted();
    return ie;
  }

  /**
   * Runs the blocking exchange on the executor, at most {@link #MAX_ASYNC_EXCHANGES} at once;
   * cancelling the future closes its connection, which ends a read or write in progress at once.
   */
  @Override
  public CompletableFuture<Reply> sendAsync(Exchange x) {
    origins.computeIfAbsent(x.origin, Origin::new); // a bad origin fails here, as a config error
    CompletableFuture<Reply> out = new CompletableFuture<>();
    waiting.add(new Job(x, out));
    startWaiting();
    out.whenComplete((v, e) -> {
      if (out.isCancelled() && x.state instanceof Http1Connection) {
        ((Http1Connection) x.state).close();
      }
    });
    return out;
  }

  /** One async exchange waiting for, or holding, an executor thread. */
  private final class Job implements Runnable {
    final Exchange x;
    final CompletableFuture<Reply> out;

    Job(Exchange x, CompletableFuture<Reply> out) {
      this.x = x;
      this.out = out;
    }

    @Override
    public void run() {
      try {
        if (!out.isDone()) {
          out.complete(send(x));
        }
      } catch (InterruptedException e) {
        out.completeExceptionally(new InterruptedIOException("interrupted"));
      } catch (Throwable e) {
        out.completeExceptionally(e);
      } finally {
        running.decrementAndGet();
        startWaiting();
      }
    }
  }

  /** Hands waiting jobs to the executor while fewer than the limit run. */
  private void startWaiting() {
    while (!waiting.isEmpty()) {
      int n = running.get();
      if (n >= MAX_ASYNC_EXCHANGES) {
        return; // a running job starts the next one when it ends
      }
      if (!running.compareAndSet(n, n + 1)) {
        continue;
      }
      Job job = waiting.poll();
      if (job == null) {
        running.decrementAndGet();
        continue;
      }
      try {
        executor.execute(job);
      } catch (RejectedExecutionException e) {
        running.decrementAndGet();
        job.out.completeExceptionally(new IllegalStateException("EasClient was closed during the call", e));
      }
    }
  }

  /**
   * CONN-1, exactly: the connection came from the pool, not one byte of the answer arrived, and the
   * failure is the connection's (a reset, a broken pipe, an end of stream), not the attempt's time.
   */
  @Override
  public boolean stale(Exchange x, Throwable err) {
    if (!(x.state instanceof Http1Connection)) {
      return false;
    }
    Http1Connection conn = (Http1Connection) x.state;
    return conn.reused && conn.received == 0 && "reset".equals(Call.errorKind(err));
  }

  private Http1Connection take(String origin) {
    ConcurrentLinkedDeque<Http1Connection> q = idle.get(origin);
    if (q == null) {
      return null;
    }
    long now = System.nanoTime();
    Http1Connection conn;
    while ((conn = q.pollFirst()) != null) {
      if (now - conn.idleSince < MAX_IDLE_NANOS) {
        conn.reused = true;
        return conn;
      }
      conn.close();
    }
    return null;
  }

  private void give(String origin, Http1Connection conn) {
    conn.idleSince = System.nanoTime();
    conn.reused = false;
    ConcurrentLinkedDeque<Http1Connection> q = idle.computeIfAbsent(origin, k -> new ConcurrentLinkedDeque<>());
    // Most recently used first: the one least likely to have been closed by the server. The oldest,
    // at the tail, are closed once too old, so a quiet pool does not hold sockets the server dropped.
    q.addFirst(conn);
    Http1Connection tail;
    while ((tail = q.peekLast()) != null && conn.idleSince - tail.idleSince >= MAX_IDLE_NANOS
        && q.removeLastOccurrence(tail)) {
      tail.close();
    }
    if (q.size() > MAX_IDLE_PER_ORIGIN) {
      Http1Connection old = q.pollLast();
      if (old != null) {
        old.close();
      }
    }
    if (closed) {
      drain(q);
    }
  }

  /**
   * A new connection within {@code connectTimeout} and what is left of the attempt (TIMEOUT-1 lets
   * connecting count against both). A socket channel's socket, so interrupting the caller ends it.
   */
  private Http1Connection open(Origin o, long deadlineNanos) throws IOException {
    long left = (deadlineNanos - System.nanoTime()) / 1_000_000;
    if (left <= 0) {
      throw new AttemptTimeout("no time was left to connect");
    }
    boolean attemptBound = left < connectTimeoutMillis;
    int ms = (int) Math.max(1, Math.min(connectTimeoutMillis, left));
    InetSocketAddress addr = new InetSocketAddress(o.host, o.port);
    if (addr.isUnresolved()) {
      throw new UnknownHostException(o.host);
    }
    SocketChannel ch = SocketChannel.open();
    Socket s = ch.socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(addr, ms);
      if (o.https) {
        s = tls(s, o, ms);
      }
      return new Http1Connection(s);
    } catch (SocketTimeoutException e) {
      s.close();
      if (attemptBound) {
        throw new AttemptTimeout("no connection to " + o.authority + " within the attempt's timeout");
      }
      ConnectException ce = new ConnectException("connect to " + o.authority + " timed out after " + ms + " ms");
      ce.initCause(e);
      throw ce;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private Socket tls(Socket plain, Origin o, int timeoutMillis) throws IOException {
    SSLSocketFactory f = tls != null ? tls : (SSLSocketFactory) SSLSocketFactory.getDefault();
    SSLSocket s = (SSLSocket) f.createSocket(plain, o.host, o.port, true);
    SSLParameters p = s.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    s.setSSLParameters(p);
    s.setSoTimeout(timeoutMillis);
    s.startHandshake();
    return s;
  }

  /**
   * HTTP-1: request line, Host, the exchange's headers, the credential, Content-Length (also for 0),
   * and the body behind them when {@code inline}.
   */
  private byte[] head(Exchange x, Origin o, boolean inline) {
    Head h = lastHead;
    byte[] prefix;
    if (h != null && h.target == x.target && h.headers == x.headers) {
      prefix = h.bytes;
    } else {
      StringBuilder sb = new StringBuilder(256).append("POST ").append(x.pathAndQuery).append(" HTTP/1.1\r\nHost: ")
          .append(o.authority).append("\r\n");
      for (int k = 0; k + 1 < x.headers.length; k += 2) {
        sb.append(x.headers[k]).append(": ").append(x.headers[k + 1]).append("\r\n");
      }
      prefix = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
      lastHead = new Head(x.target, x.headers, prefix);
    }
    String tail = (x.authorization == null ? "" : "Authorization: " + x.authorization + "\r\n")
        + "Content-Length: " + x.body.length + "\r\n\r\n";
    int headLen = prefix.length + tail.length();
    byte[] out = new byte[headLen + (inline ? x.body.length : 0)];
    System.arraycopy(prefix, 0, out, 0, prefix.length);
    for (int k = 0; k < tail.length(); k++) {
      out[prefix.length + k] = (byte) tail.charAt(k);
    }
    if (inline) {
      System.arraycopy(x.body, 0, out, headLen, x.body.length);
    }
    return out;
  }

  @Override
  public void close() {
    closed = true;
    for (ConcurrentLinkedDeque<Http1Connection> q : idle.values()) {
      drain(q);
    }
  }

  private static void drain(ConcurrentLinkedDeque<Http1Connection> q) {
    Http1Connection conn;
    while ((conn = q.pollFirst()) != null) {
      conn.close();
    }
  }
}
