package io.github.easclient.eas;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Splits a body fed in network chunks into text lines (STREAM-7): CRLF, LF or a lone CR end a line (a
 * CR ending one chunk and an LF starting the next are one line end), one UTF-8 byte order mark at the
 * very start is dropped, every line must be valid UTF-8 and at most {@code maxLineBytes} long. Pure:
 * bytes in, lines out, no I/O. Memory is the pending line only.
 */
final class LineDecoder {
  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  /** A body the format does not allow; {@code incomplete} tells an early end from a bad line. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final boolean incomplete;

    Failure(String message, boolean incomplete) {
      super(message, null, false, false);
      this.incomplete = incomplete;
    }
  }

  /** Receives each complete line as bytes, its line end excluded (valid only during the call). */
  interface RawSink {
    void line(byte[] b, int from, int to);
  }

  private final int maxLineBytes;
  private byte[] pending = new byte[256];
  private int pendingLen;
  /** Bytes of the BOM matched so far; -1 once the start of the body is past. */
  private int bom;
  private boolean afterCr;
  /** Whether the pending bytes have a byte with the high bit set (negative: yes). */
  private int pendingHigh;
  /** True while the line handed to the sink is all ASCII: no UTF-8 check needed, a one-byte-per-char copy. */
  boolean ascii;
  private boolean failed;

  LineDecoder(int maxLineBytes) {
    this.maxLineBytes = maxLineBytes;
  }

  /** Feeds one chunk; every line it completes goes to {@code out}, decoded, in order. */
  void feed(byte[] b, int off, int len, Consumer<String> out) {
    feedRaw(b, off, len, (a, from, to) -> out.accept(decode(a, from, to)));
  }

  /**
   * Feeds one chunk; every line it completes goes to {@code out} as bytes, in order, length-checked
   * but not UTF-8 checked (the sink decodes or calls {@link #checkUtf8}).
   */
  void feedRaw(byte[] b, int off, int len, RawSink out) {
    if (failed) {
      throw new IllegalStateException("the stream already failed");
    }
    int end = off + len;
    int i = off;
    if (bom >= 0) {
      i = skipBom(b, i, end);
      if (bom >= 0) {
        return;
      }
    }
    if (afterCr && i < end) {
      afterCr = false;
      if (b[i] == '\n') {
        i++;
      }
    }
    int start = i;
    int high = 0;
    while (i < end) {
      byte c = b[i];
      if (c != '\n' && c != '\r') {
        // One pass finds the line end and whether the line is ASCII (a negative byte is not).
        high |= c;
        i++;
        continue;
      }
      emit(b, start, i, high, out);
      high = 0;
      i++;
      if (c == '\r') {
        if (i == end) {
          afterCr = true;
        } else if (b[i] == '\n') {
          i++;
        }
      }
      start = i;
    }
    if (start < end) {
      append(b, start, end, high);
    }
  }

  /**
   * The body ended: returns the last line if it had no line end and is not empty (else null), after the
   * same checks as any line.
   */
  String end() {
    if (failed) {
      throw new IllegalStateException("the stream already failed");
    }
    if (bom > 0) {
      // A body shorter than the BOM it started like: those bytes are text after all.
      int n = bom;
      bom = -1;
      append(BOM, 0, n, -1);
    }
    if (pendingLen == 0) {
      return null;
    }
    ascii = pendingHigh >= 0;
    String s = decode(pending, 0, pendingLen);
    pendingLen = 0;
    pendingHigh = 0;
    return s;
  }

  private int skipBom(byte[] b, int i, int end) {
    while (i < end && bom < BOM.length) {
      if (b[i] != BOM[bom]) {
        int n = bom;
        bom = -1;
        append(BOM, 0, n, -1);
        return i;
      }
      bom++;
      i++;
    }
    if (bom == BOM.length) {
      bom = -1;
    }
    return i;
  }

  private void emit(byte[] b, int from, int to, int high, RawSink out) {
    if (pendingLen == 0) {
      // The common case: the whole line is inside this chunk, handed on without a copy.
      checkLength(to - from);
      ascii = high >= 0;
      out.line(b, from, to);
      return;
    }
    append(b, from, to, high);
    int n = pendingLen;
    ascii = pendingHigh >= 0;
    pendingLen = 0;
    pendingHigh = 0;
    out.line(pending, 0, n);
  }

  private void append(byte[] b, int from, int to, int high) {
    pendingHigh |= high;
    int n = to - from;
    checkLength(pendingLen + (long) n);
    if (pendingLen + n > pending.length) {
      pending = Arrays.copyOf(pending, Math.max(pendingLen + n, Math.min(pending.length * 2, maxLineBytes)));
    }
    System.arraycopy(b, from, pending, pendingLen, n);
    pendingLen += n;
  }

  private void checkLength(long n) {
    if (n > maxLineBytes) {
      failed = true;
      throw new Failure("a line of the stream is longer than " + maxLineBytes
          + " bytes (the limit of one line or event); read the stream as bytes to take it as it is", false);
    }
  }

  /** The line as text; a Failure if it is not valid UTF-8. */
  String decode(byte[] b, int from, int to) {
    if (ascii) {
      return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }
    checkUtf8(b, from, to);
    return new String(b, from, to - from, StandardCharsets.UTF_8);
  }

  /** Text of part of the current line (ASCII lines are copied byte per char). */
  String text(byte[] b, int from, int to) {
    if (from == to) {
      return "";
    }
    return new String(b, from, to - from, ascii ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
  }

  /** STREAM-7: every line is valid UTF-8, comments included. */
  void checkUtf8(byte[] b, int from, int to) {
    if (!ascii && !Utf8.valid(b, from, to)) {
      failed = true;
      throw new Failure("a line of the stream is not valid UTF-8; read the stream as bytes to take it as it is",
          false);
    }
  }
}
