package io.github.easclient.eas;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** ArrayProto encode/decode shared by the TF and PyTorch messages (spec/proto, PAYLOAD-4). */
final class TensorCodec {
  private TensorCodec() {}

  /** ArrayProto as its own buffer (exact size, no copy). */
  static Proto.Writer encode(Tensor t) {
    Proto.Writer w = new Proto.Writer((int) size(t));
    write(w, t);
    return w;
  }

  private static long dimsSize(long[] shape) {
    long n = 0;
    for (long d : shape) {
      n += Proto.varintSize(d);
    }
    return n;
  }

  /** Payload bytes of the packed value field (0 when there are no values or for strings). */
  private static long packedSize(Object v) {
    if (v instanceof Tensor.Packed) {
      Tensor.Packed p = (Tensor.Packed) v;
      return (long) p.count * p.width;
    } else if (v instanceof float[]) {
      return 4L * ((float[]) v).length;
    } else if (v instanceof double[]) {
      return 8L * ((double[]) v).length;
    } else if (v instanceof int[]) {
      long n = 0;
      for (int x : (int[]) v) {
        n += Proto.varintSize(x);
      }
      return n;
    } else if (v instanceof long[]) {
      long n = 0;
      for (long x : (long[]) v) {
        n += Proto.varintSize(x);
      }
      return n;
    } else if (v instanceof boolean[]) {
      return ((boolean[]) v).length;
    }
    return 0;
  }

  private static long field(long payload) {
    return 1 + Proto.varintSize(payload) + payload;
  }

  /** Encoded size of an ArrayProto, so a message is written once into a buffer of its exact size. */
  static long size(Tensor t) {
    long n = 1 + Proto.varintSize(t.dtype().number());
    long[] shape = t.shape();
    if (shape.length > 0) {
      n += field(field(dimsSize(shape)));
    }
    if (t.size() > 0) {
      if (t.values instanceof byte[][]) {
        for (byte[] b : (byte[][]) t.values) {
          n += field(b.length);
        }
      } else {
        n += field(packedSize(t.values));
      }
    }
    return n;
  }

  /** ArrayProto fields: dtype (1), array_shape (2, omitted for 0-d), then the value field. */
  static void write(Proto.Writer w, Tensor t) {
    Object v = t.values;
    w.tag(1, 0);
    w.varint(t.dtype().number());
    long[] shape = t.shape();
    if (shape.length > 0) {
      long dims = dimsSize(shape);
      w.tag(2, 2);
      w.varint(field(dims));
      w.tag(1, 2);
      w.varint(dims);
      for (long d : shape) {
        w.varint(d);
      }
    }
    if (t.size() == 0) {
      return;
    }
    if (v instanceof byte[][]) {
      for (byte[] s : (byte[][]) v) {
        w.bytes(6, s);
      }
      return;
    }
    if (v instanceof Tensor.Packed) {
      // A decoded answer sent on as it came: its bytes are already the packed field's payload.
      Tensor.Packed p = (Tensor.Packed) v;
      w.tag(p.width == 4 ? 3 : 4, 2);
      w.varint((long) p.count * p.width);
      w.raw(p.buf, p.off, p.count * p.width);
      return;
    }
    int fieldNumber = v instanceof float[] ? 3 : v instanceof double[] ? 4 : v instanceof int[] ? 5
        : v instanceof long[] ? 7 : 8;
    w.tag(fieldNumber, 2);
    w.varint(packedSize(v));
    if (v instanceof float[]) {
      w.floats((float[]) v);
    } else if (v instanceof double[]) {
      w.doubles((double[]) v);
    } else if (v instanceof int[]) {
      for (int x : (int[]) v) {
        w.varint(x);
      }
    } else if (v instanceof long[]) {
      for (long x : (long[]) v) {
        w.varint(x);
      }
    } else {
      for (boolean x : (boolean[]) v) {
        w.varint(x ? 1 : 0);
      }
    }
  }

  /** Size of a map entry field {1: key, 2: ArrayProto}, tag and length included. */
  static long entrySize(byte[] key, Tensor t) {
    return field(field(key.length) + field(size(t)));
  }

  /** Size of a repeated ArrayProto field, tag and length included. */
  static long messageSize(Tensor t) {
    return field(size(t));
  }

  /** A repeated ArrayProto field. */
  static void message(Proto.Writer out, int fieldNumber, Tensor t) {
    out.tag(fieldNumber, 2);
    out.varint(size(t));
    write(out, t);
  }

  /** Growable primitive buffers for one ArrayProto's fields. */
  private static final class Acc {
    /**
     * The first packed float/double run, kept as a view of the body until a second run or an
     * unpacked value needs a real array (real answers have one run, so most never copy here).
     */
    Tensor.Packed pf;
    Tensor.Packed pd;
    float[] f = new float[0];
    int nf;
    double[] d = new double[0];
    int nd;
    long[] i = new long[0];
    int ni;
    long[] l = new long[0];
    int nl;
    boolean[] b = new boolean[0];
    int nb;
    byte[][] s = new byte[0][];
    int ns;
  }

  static Tensor decode(Proto.Reader r, boolean torch) {
    int dtypeNum = 0;
    long[] shape = null;
    Acc a = new Acc();
    while (!r.done()) {
      long key = r.varint();
      int field = (int) (key >>> 3);
      int wt = (int) (key & 7);
      if (field == 1 && wt == 0) {
        dtypeNum = (int) r.varint();
      } else if (field == 2 && wt == 2) {
        shape = shape(r.sub());
      } else if (field == 3 && (wt == 2 || wt == 5)) {
        readFloats(r, wt, a);
      } else if (field == 4 && (wt == 2 || wt == 1)) {
        readDoubles(r, wt, a);
      } else if (field == 5 && (wt == 2 || wt == 0)) {
        Proto.Reader p = wt == 2 ? r.sub() : r;
        do {
          if (a.ni == a.i.length) {
            a.i = Arrays.copyOf(a.i, Math.max(8, a.ni * 2));
          }
          a.i[a.ni++] = (int) p.varint();
        } while (wt == 2 && !p.done());
      } else if (field == 6 && wt == 2) {
        if (a.ns == a.s.length) {
          a.s = Arrays.copyOf(a.s, Math.max(8, a.ns * 2));
        }
        a.s[a.ns++] = r.bytes();
      } else if (field == 7 && (wt == 2 || wt == 0)) {
        Proto.Reader p = wt == 2 ? r.sub() : r;
        do {
          if (a.nl == a.l.length) {
            a.l = Arrays.copyOf(a.l, Math.max(8, a.nl * 2));
          }
          a.l[a.nl++] = p.varint();
        } while (wt == 2 && !p.done());
      } else if (field == 8 && !torch && (wt == 2 || wt == 0)) {
        Proto.Reader p = wt == 2 ? r.sub() : r;
        do {
          if (a.nb == a.b.length) {
            a.b = Arrays.copyOf(a.b, Math.max(8, a.nb * 2));
          }
          a.b[a.nb++] = p.varint() != 0;
        } while (wt == 2 && !p.done());
      } else {
        if (field == 0) {
          throw Proto.bad("field number 0");
        }
        r.skip(wt);
      }
    }
    return build(dtypeNum, shape, a, torch);
  }

  private static void readFloats(Proto.Reader r, int wt, Acc a) {
    unpackFloats(a);
    if (wt == 2 && a.nf == 0) {
      Proto.Reader p = r.sub();
      int n = p.end - p.pos;
      if (n % 4 != 0) {
        throw Proto.bad("float_val length " + n + " is not a multiple of 4");
      }
      if (n > 0) {
        a.pf = new Tensor.Packed(p.buf, p.pos, n / 4, 4);
      }
      return;
    }
    if (wt == 5) {
      if (a.nf == a.f.length) {
        a.f = Arrays.copyOf(a.f, Math.max(8, a.nf * 2));
      }
      a.f[a.nf++] = Float.intBitsToFloat(r.fixed32());
      return;
    }
    Proto.Reader p = r.sub();
    int n = p.end - p.pos;
    if (n % 4 != 0) {
      throw Proto.bad("float_val length " + n + " is not a multiple of 4");
    }
    a.f = Arrays.copyOf(a.f, a.nf + n / 4);
    java.nio.ByteBuffer.wrap(p.buf, p.pos, n).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(a.f, a.nf, n / 4);
    a.nf += n / 4;
  }

  private static void readDoubles(Proto.Reader r, int wt, Acc a) {
    unpackDoubles(a);
    if (wt == 2 && a.nd == 0) {
      Proto.Reader p = r.sub();
      int n = p.end - p.pos;
      if (n % 8 != 0) {
        throw Proto.bad("double_val length " + n + " is not a multiple of 8");
      }
      if (n > 0) {
        a.pd = new Tensor.Packed(p.buf, p.pos, n / 8, 8);
      }
      return;
    }
    if (wt == 1) {
      if (a.nd == a.d.length) {
        a.d = Arrays.copyOf(a.d, Math.max(8, a.nd * 2));
      }
      a.d[a.nd++] = Double.longBitsToDouble(r.fixed64());
      return;
    }
    Proto.Reader p = r.sub();
    int n = p.end - p.pos;
    if (n % 8 != 0) {
      throw Proto.bad("double_val length " + n + " is not a multiple of 8");
    }
    a.d = Arrays.copyOf(a.d, a.nd + n / 8);
    java.nio.ByteBuffer.wrap(p.buf, p.pos, n).order(java.nio.ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(a.d, a.nd, n / 8);
    a.nd += n / 8;
  }

  /** Turns a kept packed run into array values, before more values are appended. */
  private static void unpackFloats(Acc a) {
    if (a.pf != null) {
      a.f = (float[]) a.pf.array();
      a.nf = a.f.length;
      a.pf = null;
    }
  }

  private static void unpackDoubles(Acc a) {
    if (a.pd != null) {
      a.d = (double[]) a.pd.array();
      a.nd = a.d.length;
      a.pd = null;
    }
  }

  private static long[] shape(Proto.Reader r) {
    long[] dims = new long[0];
    int n = 0;
    while (!r.done()) {
      long key = r.varint();
      int field = (int) (key >>> 3);
      int wt = (int) (key & 7);
      if (field == 1 && (wt == 0 || wt == 2)) {
        Proto.Reader p = wt == 2 ? r.sub() : r;
        do {
          long d = p.varint();
          if (d < 0) {
            throw Proto.bad("negative dimension " + d);
          }
          if (n == dims.length) {
            dims = Arrays.copyOf(dims, Math.max(4, n * 2));
          }
          dims[n++] = d;
        } while (wt == 2 && !p.done());
      } else {
        r.skip(wt);
      }
    }
    return Arrays.copyOf(dims, n);
  }

  private static Tensor build(int dtypeNum, long[] shape, Acc a, boolean torch) {
    DataType dt = DataType.forNumber(dtypeNum);
    if (dtypeNum != 0 && dt == DataType.DT_INVALID) {
      throw Proto.bad("unknown dtype " + dtypeNum);
    }
    int nf = a.pf != null ? a.pf.count : a.nf;
    int nd = a.pd != null ? a.pd.count : a.nd;
    if (dt == DataType.DT_INVALID) {
      dt = nf > 0 ? DataType.DT_FLOAT : nd > 0 ? DataType.DT_DOUBLE : a.ni > 0 ? DataType.DT_INT32
          : a.nl > 0 ? DataType.DT_INT64 : a.nb > 0 ? DataType.DT_BOOL : a.ns > 0 ? DataType.DT_STRING
          : DataType.DT_FLOAT; // none filled: PAYLOAD-9
    }
    if (torch && dt == DataType.DT_BOOL) {
      throw Proto.bad("PyTorch messages have no DT_BOOL values");
    }
    Object values;
    switch (dt) {
      case DT_FLOAT:
        values = a.pf != null ? a.pf : a.f.length == a.nf ? a.f : Arrays.copyOf(a.f, a.nf);
        break;
      case DT_DOUBLE:
        values = a.pd != null ? a.pd : a.d.length == a.nd ? a.d : Arrays.copyOf(a.d, a.nd);
        break;
      case DT_INT64: values = Arrays.copyOf(a.l, a.nl); break;
      case DT_BOOL: values = Arrays.copyOf(a.b, a.nb); break;
      case DT_STRING: values = Arrays.copyOf(a.s, a.ns); break;
      case DT_INVALID: values = new float[0]; break;
      default:
        if (!dt.isIntVal()) {
          throw Proto.bad(dt + " values cannot be read");
        }
        int[] ints = new int[a.ni];
        for (int k = 0; k < a.ni; k++) {
          ints[k] = (int) a.i[k];
        }
        values = ints;
    }
    int count = values instanceof Tensor.Packed ? ((Tensor.Packed) values).count
        : java.lang.reflect.Array.getLength(values);
    if (shape == null) {
      shape = count == 1 ? new long[0] : new long[] {count};
    } else {
      long n = 1;
      for (long d : shape) {
        n = d == 0 ? 0 : (n > Integer.MAX_VALUE / Math.max(1, d) ? Long.MAX_VALUE : n * d);
      }
      if (n != count) {
        throw Proto.bad("shape " + Arrays.toString(shape) + " does not hold the " + count + " values sent");
      }
    }
    return new Tensor(dt, shape, values);
  }

  /** A map entry message {1: key, 2: value}, written in place. */
  static void mapEntry(Proto.Writer out, int fieldNumber, byte[] key, Tensor t) {
    out.tag(fieldNumber, 2);
    out.varint(field(key.length) + field(size(t)));
    out.bytes(1, key);
    message(out, 2, t);
  }

  /** Reads one map entry into {@code into}. */
  static void readEntry(Proto.Reader r, Map<String, Tensor> into, boolean torch) {
    String key = "";
    Tensor value = null;
    while (!r.done()) {
      long k = r.varint();
      int field = (int) (k >>> 3);
      int wt = (int) (k & 7);
      if (field == 1 && wt == 2) {
        key = new String(r.bytes(), java.nio.charset.StandardCharsets.UTF_8);
      } else if (field == 2 && wt == 2) {
        value = decode(r.sub(), torch);
      } else {
        r.skip(wt);
      }
    }
    into.put(key, value != null ? value : decode(new Proto.Reader(new byte[0], 0, 0), torch));
  }

  static Map<String, Tensor> newMap() {
    return new LinkedHashMap<>();
  }
}
