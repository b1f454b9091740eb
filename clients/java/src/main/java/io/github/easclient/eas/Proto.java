package io.github.easclient.eas;

import java.util.Arrays;

/** Hand-written protobuf wire encoding: just what the TF and PyTorch messages need. */
final class Proto {
  private Proto() {}

  /** A growable output buffer. */
  static final class Writer {
    private byte[] buf;
    private int len;

    Writer(int capacity) {
      buf = new byte[Math.max(0, capacity)];
    }

    private void ensure(int extra) {
      if (len + extra > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(Math.max(16, buf.length * 2), len + extra));
      }
    }

    int size() {
      return len;
    }

    byte[] toByteArray() {
      // A writer sized exactly up front hands over its buffer without a copy.
      return len == buf.length ? buf : Arrays.copyOf(buf, len);
    }

    void varint(long v) {
      ensure(10);
      while ((v & ~0x7FL) != 0) {
        buf[len++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[len++] = (byte) v;
    }

    void tag(int field, int wireType) {
      varint(((long) field << 3) | wireType);
    }

    void fixed32(int v) {
      ensure(4);
      buf[len++] = (byte) v;
      buf[len++] = (byte) (v >> 8);
      buf[len++] = (byte) (v >> 16);
      buf[len++] = (byte) (v >> 24);
    }

    void fixed64(long v) {
      ensure(8);
      for (int k = 0; k < 8; k++) {
        buf[len++] = (byte) (v >> (8 * k));
      }
    }

    /** Little-endian float32 values in one block (the packed field's payload). */
    void floats(float[] v) {
      ensure(v.length * 4);
      java.nio.ByteBuffer.wrap(buf, len, v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(v);
      len += v.length * 4;
    }

    /** Little-endian float64 values in one block. */
    void doubles(double[] v) {
      ensure(v.length * 8);
      java.nio.ByteBuffer.wrap(buf, len, v.length * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().put(v);
      len += v.length * 8;
    }

    void bytes(int field, byte[] b) {
      tag(field, 2);
      varint(b.length);
      raw(b, 0, b.length);
    }

    void message(int field, Writer w) {
      tag(field, 2);
      varint(w.len);
      raw(w.buf, 0, w.len);
    }

    void raw(byte[] b, int off, int n) {
      ensure(n);
      System.arraycopy(b, off, buf, len, n);
      len += n;
    }
  }

  static int varintSize(long v) {
    int n = 1;
    while ((v & ~0x7FL) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  /** A bounds-checked reader; every malformation is a PayloadException. */
  static final class Reader {
    final byte[] buf;
    int pos;
    final int end;

    Reader(byte[] buf, int pos, int end) {
      this.buf = buf;
      this.pos = pos;
      this.end = end;
    }

    boolean done() {
      return pos >= end;
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw bad("truncated varint");
        }
        byte b = buf[pos++];
        v |= (long) (b & 0x7F) << shift;
        if (b >= 0) {
          return v;
        }
      }
      throw bad("varint longer than 10 bytes");
    }

    int fixed32() {
      need(4);
      int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24;
      pos += 4;
      return v;
    }

    long fixed64() {
      need(8);
      long v = 0;
      for (int k = 7; k >= 0; k--) {
        v = (v << 8) | (buf[pos + k] & 0xff);
      }
      pos += 8;
      return v;
    }

    /** Reads a length prefix and returns a reader over that many bytes, advancing past them. */
    Reader sub() {
      long n = varint();
      if (n < 0 || n > end - pos) {
        throw bad("length " + n + " runs past the end of the body");
      }
      Reader r = new Reader(buf, pos, pos + (int) n);
      pos += (int) n;
      return r;
    }

    byte[] bytes() {
      Reader r = sub();
      return Arrays.copyOfRange(buf, r.pos, r.end);
    }

    void need(int n) {
      if (end - pos < n) {
        throw bad("truncated field");
      }
    }

    void skip(int wireType) {
      switch (wireType) {
        case 0: varint(); break;
        case 1: need(8); pos += 8; break;
        case 2: sub(); break;
        case 5: need(4); pos += 4; break;
        default: throw bad("unsupported wire type " + wireType);
      }
    }
  }

  static PayloadException bad(String what) {
    return new PayloadException("response is not a valid tensor message: " + what);
  }
}
