package io.github.easclient.eas;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP/1.1 connection of {@link SocketTransport}: writes a request, reads its whole answer. Every
 * read is bounded by what is left of the attempt's time (TIMEOUT-1: the socket's read timeout is set
 * to the remainder before each read), the body by the cap (LIMIT-1). It records whether any byte of
 * the answer arrived, which is what CONN-1 asks of a reused connection that fails.
 */
final class Http1Connection implements Watchdog.Timed {
  /** A status line and headers longer than this are not an EAS answer. */
  static final int MAX_HEAD_BYTES = 64 * 1024;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final byte[] buf = new byte[8192];
  private int pos;
  private int lim;
  /** When this connection went back to the pool ({@link System#nanoTime()}). */
  long idleSince;
  /** True while it carries an exchange it was taken from the pool for (not opened for). */
  boolean reused;
  /** Bytes of the current answer received so far. */
  long received;
  /** After the answer just read, the connection can carry another request. */
  boolean keepAlive;
  private volatile long writeDeadline;
  private volatile boolean writeExpired;

  Http1Connection(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /**
   * One exchange: writes the request ({@code head}, with the body behind it when small, then
   * {@code body} if not null) and reads the whole answer. A big body can block on a peer that does not
   * read: the watchdog then closes the socket at the deadline.
   */
  Transport.Reply exchange(byte[] head, byte[] body, long deadlineNanos, long cap, Watchdog watchdog)
      throws IOException {
    received = 0;
    // Reads are bounded by the socket's read timeout; only a big body's write needs the watchdog.
    boolean armed = body != null;
    if (armed) {
      writeDeadline = deadlineNanos;
      watchdog.arm(this);
    }
    try {
      out.write(head);
      if (body != null) {
        out.write(body);
      }
      return read(deadlineNanos, cap);
    } catch (IOException e) {
      if (writeExpired) {
        throw new Transport.AttemptTimeout("the attempt did not finish within the timeout");
      }
      throw e;
    } finally {
      if (armed) {
        watchdog.disarm(this);
      }
    }
  }

  @Override
  public long deadlineNanos() {
    return writeDeadline;
  }

  @Override
  public void expire() {
    writeExpired = true;
    close();
  }

  /** Reads the answer to the request just written (interim 1xx answers are skipped). */
  private Transport.Reply read(long deadlineNanos, long cap) throws IOException {
    while (true) {
      String statusLine = line(deadlineNanos);
      if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12 || statusLine.charAt(8) != ' ') {
        throw new ProtocolException("not an HTTP/1.x status line: " + excerpt(statusLine));
      }
      int status = parseStatus(statusLine);
      Map<String, List<String>> headers = headers(deadlineNanos);
      if (status >= 100 && status < 200 && status != 101) {
        continue;
      }
      boolean http10 = statusLine.charAt(7) == '0';
      String connection = first(headers, "Connection");
      // A 101 switches the connection to another protocol: it never carries a next request.
      keepAlive = status != 101 && (http10 ? hasToken(connection, "keep-alive") : !hasToken(connection, "close"));
      byte[] body = body(status, headers, deadlineNanos, cap);
      return new Transport.Reply(status, HttpHeaders.of(headers, (n, v) -> true), body);
    }
  }

  private static int parseStatus(String line) throws ProtocolException {
    int s = 0;
    for (int k = 9; k < 12; k++) {
      char ch = line.charAt(k);
      if (ch < '0' || ch > '9') {
        throw new ProtocolException("bad status code in " + excerpt(line));
      }
      s = s * 10 + (ch - '0');
    }
    if (line.length() > 12 && line.charAt(12) != ' ') {
      throw new ProtocolException("bad status code in " + excerpt(line));
    }
    return s;
  }

  private Map<String, List<String>> headers(long deadlineNanos) throws IOException {
    Map<String, List<String>> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    int total = 0;
    String last = null;
    while (true) {
      String l = line(deadlineNanos);
      if (l.isEmpty()) {
        return m;
      }
      total += l.length();
      if (total > MAX_HEAD_BYTES) {
        throw new ProtocolException("the response headers pass " + MAX_HEAD_BYTES + " bytes");
      }
      if ((l.charAt(0) == ' ' || l.charAt(0) == '\t') && last != null) {
        // An obsolete folded line continues the previous header's value.
        List<String> vs = m.get(last);
        vs.set(vs.size() - 1, vs.get(vs.size() - 1) + " " + l.strip());
        continue;
      }
      int colon = l.indexOf(':');
      if (colon <= 0) {
        throw new ProtocolException("malformed response header: " + excerpt(l));
      }
      last = l.substring(0, colon).strip();
      m.computeIfAbsent(last, k -> new ArrayList<>(1)).add(l.substring(colon + 1).strip());
    }
  }

  /** HTTP/1.1 framing: no body (1xx, 204, 304), chunked, Content-Length, or up to the close. */
  private byte[] body(int status, Map<String, List<String>> h, long deadlineNanos, long cap) throws IOException {
    if (status < 200 || status == 204 || status == 304) {
      return new byte[0];
    }
    boolean encoded = h.containsKey("Content-Encoding");
    // LIMIT-1 counts decoded bytes: a gzip body may be a little larger than what it decodes to.
    long rawCap = !encoded || cap == Long.MAX_VALUE ? cap : cap + Math.min(cap >> 6, Integer.MAX_VALUE) + 1024;
    String te = first(h, "Transfer-Encoding");
    if (te != null && te.toLowerCase(Locale.ROOT).endsWith("chunked")) {
      return chunked(deadlineNanos, rawCap);
    }
    List<String> lengths = h.get("Content-Length");
    if (lengths != null) {
      long n = contentLength(lengths);
      if (!encoded && n > cap) {
        throw tooLarge("the response declares " + n + " bytes");
      }
      if (n > rawCap) {
        throw tooLarge("the response declares " + n + " bytes before decoding");
      }
      if (n > Integer.MAX_VALUE - 8) {
        throw tooLarge("the response declares " + n + " bytes, more than one array holds");
      }
      byte[] b = new byte[(int) n];
      readFully(b, deadlineNanos);
      return b;
    }
    keepAlive = false;
    return untilClose(deadlineNanos, rawCap);
  }

  private static long contentLength(List<String> values) throws ProtocolException {
    long n = -1;
    for (String v : values) {
      for (String part : v.split(",")) {
        long x;
        try {
          x = Long.parseLong(part.strip());
        } catch (NumberFormatException e) {
          throw new ProtocolException("bad Content-Length: " + excerpt(v));
        }
        if (x < 0 || (n >= 0 && x != n)) {
          throw new ProtocolException("bad or conflicting Content-Length: " + excerpt(v));
        }
        n = x;
      }
    }
    return n;
  }

  private byte[] chunked(long deadlineNanos, long cap) throws IOException {
    Growing body = new Growing();
    while (true) {
      String sizeLine = line(deadlineNanos);
      int semi = sizeLine.indexOf(';');
      long size;
      try {
        size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).strip(), 16);
      } catch (NumberFormatException e) {
        throw new ProtocolException("bad chunk size: " + excerpt(sizeLine));
      }
      if (size < 0) {
        throw new ProtocolException("bad chunk size: " + excerpt(sizeLine));
      }
      if (size == 0) {
        while (!line(deadlineNanos).isEmpty()) {
          // trailer fields: read and dropped
        }
        return body.toArray();
      }
      if (body.size + size > cap) {
        throw tooLarge("the response passed " + cap + " bytes");
      }
      body.ensure((int) size);
      body.size += copyFully(body.bytes, body.size, (int) size, deadlineNanos);
      if (!line(deadlineNanos).isEmpty()) {
        throw new ProtocolException("a chunk does not end with CRLF");
      }
    }
  }

  private byte[] untilClose(long deadlineNanos, long cap) throws IOException {
    Growing body = new Growing();
    while (true) {
      if (pos == lim && fill(deadlineNanos) < 0) {
        return body.toArray();
      }
      int n = lim - pos;
      if (body.size + n > cap) {
        throw tooLarge("the response passed " + cap + " bytes");
      }
      body.ensure(n);
      System.arraycopy(buf, pos, body.bytes, body.size, n);
      body.size += n;
      pos = lim;
    }
  }

  private void readFully(byte[] b, long deadlineNanos) throws IOException {
    copyFully(b, 0, b.length, deadlineNanos);
  }

  /** Copies {@code n} body bytes into {@code b}: first what is buffered, then straight from the socket. */
  private int copyFully(byte[] b, int off, int n, long deadlineNanos) throws IOException {
    int have = Math.min(n, lim - pos);
    System.arraycopy(buf, pos, b, off, have);
    pos += have;
    int done = have;
    while (done < n) {
      if (n - done < buf.length) {
        if (fill(deadlineNanos) < 0) {
          throw new EOFException("the connection closed after " + done + " of " + n + " body bytes");
        }
        int k = Math.min(n - done, lim - pos);
        System.arraycopy(buf, pos, b, off + done, k);
        pos += k;
        done += k;
      } else {
        int r = read(b, off + done, n - done, deadlineNanos);
        if (r < 0) {
          throw new EOFException("the connection closed after " + done + " of " + n + " body bytes");
        }
        done += r;
      }
    }
    return n;
  }

  /** One line without its CRLF (a bare LF is accepted), as ISO-8859-1. */
  private String line(long deadlineNanos) throws IOException {
    int scanned = 0;
    while (true) {
      for (int k = pos + scanned; k < lim; k++) {
        if (buf[k] == '\n') {
          int end = k > pos && buf[k - 1] == '\r' ? k - 1 : k;
          String s = new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1);
          pos = k + 1;
          return s;
        }
      }
      scanned = lim - pos;
      if (pos == 0 && lim == buf.length) {
        throw new ProtocolException("a response line passes " + buf.length + " bytes");
      }
      if (fill(deadlineNanos) < 0) {
        throw new EOFException(received == 0 ? "the connection closed before any response byte"
            : "the connection closed in the middle of the response headers");
      }
    }
  }

  /** Reads more into the buffer (moving what is left to its start); -1 at the end of the stream. */
  private int fill(long deadlineNanos) throws IOException {
    if (pos > 0) {
      System.arraycopy(buf, pos, buf, 0, lim - pos);
      lim -= pos;
      pos = 0;
    }
    int n = read(buf, lim, buf.length - lim, deadlineNanos);
    if (n > 0) {
      lim += n;
    }
    return n;
  }

  private int read(byte[] b, int off, int len, long deadlineNanos) throws IOException {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      throw new Transport.AttemptTimeout("the response did not arrive within the timeout");
    }
    socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, (left + 999_999) / 1_000_000)));
    int n;
    try {
      n = in.read(b, off, len);
    } catch (SocketTimeoutException e) {
      throw new Transport.AttemptTimeout("the response did not arrive within the timeout");
    }
    if (n > 0) {
      received += n;
    }
    return n;
  }

  /** Nothing but the answer just read came: a byte more would be an unasked answer (not reusable). */
  boolean drained() {
    return pos == lim;
  }

  void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  private static IOException tooLarge(String message) {
    return new IOException(message, new CappedBody.TooLarge(message));
  }

  private static String first(Map<String, List<String>> h, String name) {
    List<String> v = h.get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  private static boolean hasToken(String value, String token) {
    if (value == null) {
      return false;
    }
    for (String t : value.split(",")) {
      if (t.strip().equalsIgnoreCase(token)) {
        return true;
      }
    }
    return false;
  }

  private static String excerpt(String s) {
    String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
    return t.replaceAll("[^\\x20-\\x7e]", "?");
  }

  /** A byte array that grows by doubling, for bodies of unknown length. */
  private static final class Growing {
    byte[] bytes = new byte[1024];
    int size;

    void ensure(int more) throws IOException {
      long need = (long) size + more;
      if (need > Integer.MAX_VALUE - 8) {
        throw tooLarge("the response passed " + (Integer.MAX_VALUE - 8) + " bytes");
      }
      if (need > bytes.length) {
        bytes = java.util.Arrays.copyOf(bytes, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, 2L * bytes.length)));
      }
    }

    byte[] toArray() {
      return java.util.Arrays.copyOf(bytes, size);
    }
  }
}
