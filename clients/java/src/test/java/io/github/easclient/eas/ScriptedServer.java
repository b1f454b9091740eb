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

    Seen(String method, String path, String query, Map<String, String> headers, byte[] body, long seq) {
      this.method = method;
      this.path = path;
      this.query = query;
      this.headers = headers;
      this.body = body;
      this.seq = seq;
    }
  }

  /** What to do with one request. */
  static final class Reply {
    int status = 200;
    Map<String, String> headers = new LinkedHashMap<>();
    byte[] body = new byte[0];
    int delayMs;
    boolean reset;
  }

  static final AtomicLong SEQ = new AtomicLong();

  private final ServerSocket server;
  private final List<Reply> replies;
  private final Function<Seen, Reply> whenOut;
  private final AtomicInteger next = new AtomicInteger();
  private final List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
  private final List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
  private final Thread acceptor;

  ScriptedServer(List<Reply> replies, Function<Seen, Reply> whenOut) throws IOException {
    this.replies = replies;
    this.whenOut = whenOut;
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
      while (true) {
        Seen req = read(in);
        if (req == null) {
          return;
        }
        seen.add(req);
        int k = next.getAndIncrement();
        Reply r = k < replies.size() ? replies.get(k) : whenOut.apply(req);
        if (r.delayMs > 0) {
          Thread.sleep(r.delayMs);
        }
        if (r.reset) {
          return;
        }
        StringBuilder head = new StringBuilder("HTTP/1.1 " + r.status + " Scripted\r\n");
        boolean hasLength = false;
        for (Map.Entry<String, String> h : r.headers.entrySet()) {
          head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
          hasLength |= h.getKey().equalsIgnoreCase("content-length");
        }
        if (!hasLength) {
          head.append("Content-Length: ").append(r.body.length).append("\r\n");
        }
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(r.body);
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // The client went away (for example after its own timeout): nothing to answer.
    }
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
        body, SEQ.incrementAndGet());
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
