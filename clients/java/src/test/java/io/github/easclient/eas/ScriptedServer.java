package io.github.easclient.eas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A tiny HTTP/1.1 server on 127.0.0.1 over raw sockets, so a reply can also be "close the connection
 * without answering" (a reset). Replies are consumed in arrival order; every request is recorded.
 */
final class ScriptedServer implements AutoCloseable {
  /** A recorded request. */
  static final class Seen {
    final String method;
    final String path;
    final String query;
    final Map<String, String> headers;
    final byte[] body;
    final long seq;
    final String version;
    /** The connection's number: 0, 1, ... in the order their first request arrived. */
    int connection;

    Seen(String method, String path, String query, Map<String, String> headers, byte[] body, long seq,
        String version) {
      this.method = method;
      this.path = path;
      this.query = query;
      this.headers = headers;
      this.body = body;
      this.seq = seq;
      this.version = version;
    }
  }

  /** What to do with one request. */
  static final class Reply {
    int status = 200;
    Map<String, String> headers = new LinkedHashMap<>();
    byte[] body = new byte[0];
    int delayMs;
    boolean reset;
    /** Answer with the request's own body. */
    boolean echo;
    /** Answer only a request with exactly this body (null: any). */
    byte[] when;
    /** Send the body one byte at a time with this pause before each byte. */
    int dripMs;
    /** Close the connection right after this reply. */
    boolean closeAfter;
    /** No Content-Length: the body ends when the connection closes. */
    boolean omitLength;
    /** A streamed body: sent chunked, one HTTP chunk per item after its delay (null: not streamed). */
    List<Chunk> chunks;
    /** How a streamed body ends: null (the last chunk), "reset" (an RST) or "close" (no last chunk). */
    String end;
  }

  /** One piece of a streamed body and the pause before it (from the previous piece, or the headers). */
  static final class Chunk {
    final byte[] data;
    final int delayMs;

    Chunk(byte[] data, int delayMs) {
      this.data = data;
      this.delayMs = delayMs;
    }
  }

  static final AtomicLong SEQ = new AtomicLong();

  private final ServerSocket server;
  private final List<Reply> replies;
  private final Function<Seen, Reply> whenOut;
  private final boolean[] used;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private final List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
  private final List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
  private final Thread acceptor;

  ScriptedServer(List<Reply> replies, Function<Seen, Reply> whenOut) throws IOException {
    this.replies = replies;
    this.whenOut = whenOut;
    this.used = new boolean[replies.size()];
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    acceptor = new Thread(this::acceptLoop, "scripted-server-" + port());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  String origin() {
    return "http://127.0.0.1:" + port();
  }

  List<Seen> seen() {
    synchronized (seen) {
      return new ArrayList<>(seen);
    }
  }

  /** The highest number of requests in flight at once (body read, reply not yet sent). */
  int maxInFlight() {
    return maxInFlight.get();
  }

  /** The first unused reply whose {@code when} is absent or equals the body; null when none is left. */
  private Reply take(byte[] body) {
    synchronized (used) {
      for (int k = 0; k < replies.size(); k++) {
        Reply r = replies.get(k);
        if (!used[k] && (r.when == null || java.util.Arrays.equals(r.when, body))) {
          used[k] = true;
          return r;
        }
      }
      return null;
    }
  }

  /** A port on 127.0.0.1 with nothing listening. */
  static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        Thread t = new Thread(() -> serve(s), "scripted-conn-" + port());
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      s.setTcpNoDelay(true);
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      int connection = -1;
      while (true) {
        Seen req = read(in);
        if (req == null) {
          return;
        }
        if (connection < 0) {
          connection = connections.getAndIncrement();
        }
        req.connection = connection;
        seen.add(req);
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        Reply r = take(req.body);
        if (r == null) {
          r = whenOut.apply(req);
        }
        try {
          if (r.delayMs > 0) {
            Thread.sleep(r.delayMs);
          }
          if (r.reset) {
            // An RST and no response byte.
            s.setSoLinger(true, 0);
            return;
          }
          if (r.chunks != null) {
            if (!writeChunks(s, out, r)) {
              return;
            }
          } else {
            writeReply(out, r, req);
          }
        } finally {
          inFlight.decrementAndGet();
        }
        if (r.closeAfter || r.omitLength) {
          return;
        }
      }
    } catch (IOException | InterruptedException e) {
      // The client went away (for example after its own timeout): nothing to answer.
    }
  }

  private static void writeReply(OutputStream out, Reply r, Seen req) throws IOException, InterruptedException {
    byte[] body = r.echo ? req.body : r.body;
    StringBuilder head = new StringBuilder("HTTP/1.1 " + r.status + " Scripted\r\n");
    boolean hasLength = false;
    for (Map.Entry<String, String> h : r.headers.entrySet()) {
      head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
      hasLength |= h.getKey().equalsIgnoreCase("content-length");
    }
    if (!hasLength && !r.omitLength) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    if (r.dripMs > 0) {
      for (byte b : body) {
        Thread.sleep(r.dripMs);
        out.write(b);
        out.flush();
      }
      return;
    }
    out.write(body);
    out.flush();
  }

  /**
   * A streamed reply: headers, then each chunk after its delay, flushed, then the last chunk; or an
   * abrupt end instead of the last chunk. False when the connection is to be dropped.
   */
  private static boolean writeChunks(Socket s, OutputStream out, Reply r) throws IOException, InterruptedException {
    StringBuilder head = new StringBuilder("HTTP/1.1 " + r.status + " Scripted\r\n");
    for (Map.Entry<String, String> h : r.headers.entrySet()) {
      head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    }
    head.append("Transfer-Encoding: chunked\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    for (Chunk c : r.chunks) {
      if (c.delayMs > 0) {
        Thread.sleep(c.delayMs);
      }
      out.write((Integer.toHexString(c.data.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(c.data);
      out.write(new byte[] {'\r', '\n'});
      out.flush();
    }
    if ("reset".equals(r.end)) {
      s.setSoLinger(true, 0);
      return false;
    }
    if ("close".equals(r.end)) {
      return false;
    }
    out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return true;
  }

  private static Seen read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
          : (b == '\r' ? 1 : 0);
      if (head.size() > 1 << 20) {
        throw new IOException("header too large");
      }
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String[] first = lines[0].split(" ");
    Map<String, String> headers = new LinkedHashMap<>();
    for (int k = 1; k < lines.length; k++) {
      int colon = lines[k].indexOf(':');
      if (colon > 0) {
        String name = lines[k].substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = lines[k].substring(colon + 1).trim();
        headers.merge(name, value, (a, b) -> a + ", " + b);
      }
    }
    int len = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(len);
    String target = first[1];
    int q = target.indexOf('?');
    return new Seen(first[0], q < 0 ? target : target.substring(0, q), q < 0 ? "" : target.substring(q + 1), headers,
        body, SEQ.incrementAndGet(),
        first.length > 2 ? first[2] : "");
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (sockets) {
      for (Socket s : sockets) {
        try {
          s.close();
        } catch (IOException e) {
          // already closed
        }
      }
    }
  }
}
