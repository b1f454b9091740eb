package io.github.easclient.eas;

import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * One immutable tensor: a {@link DataType}, a shape (empty for a 0-d scalar) and its values flattened in
 * row-major order.
 *
 * <pre>{@code
 * Tensor.of(new float[][] {{1, 2}, {3, 4}});                  // DT_FLOAT, shape [2, 2]
 * Tensor.of(new float[784], 1, 784);                          // flat values plus a shape
 * Tensor.of(DataType.DT_UINT8, imageBytes, 1, 28, 28);        // byte[] read as unsigned for DT_UINT8
 * Tensor.of(new String[] {"hello", "日本"});                   // DT_STRING, UTF-8
 * Tensor.ofBytes(new byte[][] {{0, 1}, {2}});                 // DT_STRING, raw bytes
 * Tensor.of(7L);                                              // 0-d DT_INT64
 * Tensor.of(List.of(List.of(1, 2), List.of(3, 4)));           // untyped: DT_INT64, shape [2, 2]
 * }</pre>
 *
 * <p>Element types map to: float → DT_FLOAT, double → DT_DOUBLE, int → DT_INT32, short → DT_INT16,
 * byte → DT_INT8, char → DT_UINT16, long → DT_INT64, boolean → DT_BOOL, String → DT_STRING. An untyped
 * (nested) {@code List} infers: all booleans → DT_BOOL, all integers → DT_INT64 (exact), any float →
 * DT_DOUBLE, all strings → DT_STRING; anything mixed, or an integer beyond int64, is refused.
 * A declared type converts integers within its range and floats to float/double; floats are never
 * rounded into an integer type. Any mismatch is a {@link PayloadException}.
 */
public final class Tensor {
  private final DataType dtype;
  private final long[] shape;
  /**
   * float[], double[], int[], long[], boolean[] or byte[][] by dtype, or a {@link Packed} view of
   * little-endian float32/float64 bytes (a decoded response's packed field, read only when asked).
   */
  final Object values;
  private final int size;

  Tensor(DataType dtype, long[] shape, Object values) {
    this.dtype = dtype;
    this.shape = shape;
    this.values = values;
    this.size = values instanceof Packed ? ((Packed) values).count : Array.getLength(values);
  }

  /**
   * Packed float32 (width 4) or float64 (width 8) values, little-endian, inside a buffer this tensor
   * shares with nobody who can change it (a response body). Each read copies them out in one block,
   * so decoding a 1M-value answer costs one allocation and one copy, made by the accessor.
   */
  static final class Packed {
    final byte[] buf;
    final int off;
    final int count;
    final int width;

    Packed(byte[] buf, int off, int count, int width) {
      this.buf = buf;
      this.off = off;
      this.count = count;
      this.width = width;
    }

    Object array() {
      ByteBuffer b = ByteBuffer.wrap(buf, off, count * width).order(ByteOrder.LITTLE_ENDIAN);
      if (width == 4) {
        float[] out = new float[count];
        b.asFloatBuffer().get(out);
        return out;
      }
      double[] out = new double[count];
      b.asDoubleBuffer().get(out);
      return out;
    }
  }

  /** The values as one of the array types (a packed view is copied out). */
  Object array() {
    return values instanceof Packed ? ((Packed) values).array() : values;
  }

  /** A tensor from a (nested) array or a boxed scalar, its type and shape inferred. */
  public static Tensor of(Object values) {
    Flat f = Flat.of(values);
    return convert(f.dtype, f, f.shape);
  }

  /** A tensor from values (flat or nested) and an explicit shape that must hold exactly as many values. */
  public static Tensor of(Object values, long... shape) {
    Flat f = Flat.of(values);
    return convert(f.dtype, f, checkShape(shape, f.size));
  }

  /** A tensor converted to {@code dtype}, shape inferred. */
  public static Tensor of(DataType dtype, Object values) {
    Flat f = Flat.of(values);
    return convert(dtype, f, f.shape);
  }

  /** A tensor converted to {@code dtype} with an explicit shape. */
  public static Tensor of(DataType dtype, Object values, long... shape) {
    Flat f = Flat.of(values);
    return convert(dtype, f, checkShape(shape, f.size));
  }

  /** A DT_STRING tensor of raw byte strings (flat), shape {@code [n]} unless given. */
  public static Tensor ofBytes(byte[][] values, long... shape) {
    byte[][] copy = new byte[values.length][];
    for (int k = 0; k < values.length; k++) {
      if (values[k] == null) {
        throw new PayloadException("byte string " + k + " is null; pass an empty array instead");
      }
      copy[k] = values[k].clone();
    }
    long[] s = shape.length == 0 ? new long[] {values.length} : checkShape(shape, values.length);
    return new Tensor(DataType.DT_STRING, s, copy);
  }

  public DataType dtype() {
    return dtype;
  }

  /** The shape; empty for a 0-d scalar. */
  public long[] shape() {
    return shape.clone();
  }

  /** Number of values. */
  public int size() {
    return size;
  }

  /** Values of a DT_FLOAT tensor. */
  public float[] floats() {
    if (values instanceof Packed && ((Packed) values).width == 4) {
      return (float[]) ((Packed) values).array();
    }
    return ((float[]) as(float[].class)).clone();
  }

  /**
   * Copies the values of a DT_FLOAT tensor into {@code into} (at least {@link #size()} long) and
   * returns it. Without a new array a 1M-value answer costs one bulk copy out of the response body,
   * for callers that decode many large answers into one buffer.
   *
   * <pre>{@code
   * float[] scores = new float[1_000_000];
   * client.predict(request).get("scores").floats(scores);
   * }</pre>
   */
  public float[] floats(float[] into) {
    if (into == null || into.length < size) {
      throw new PayloadException("the array holds " + (into == null ? "no" : String.valueOf(into.length))
          + " values and the tensor has " + size + "; pass a float[" + size + "] or larger");
    }
    Object v = as(float[].class);
    if (v instanceof Packed) {
      Packed p = (Packed) v;
      ByteBuffer.wrap(p.buf, p.off, p.count * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(into, 0, p.count);
    } else {
      System.arraycopy(v, 0, into, 0, size);
    }
    return into;
  }

  /** Values of a DT_DOUBLE tensor. */
  public double[] doubles() {
    if (values instanceof Packed && ((Packed) values).width == 8) {
      return (double[]) ((Packed) values).array();
    }
    return ((double[]) as(double[].class)).clone();
  }

  /** Values of an int_val tensor (INT8/16/32, UINT8/16, quantised types). */
  public int[] ints() {
    return ((int[]) as(int[].class)).clone();
  }

  /** Values of a DT_INT64 tensor. */
  public long[] longs() {
    return ((long[]) as(long[].class)).clone();
  }

  /** Values of a DT_BOOL tensor. */
  public boolean[] booleans() {
    return ((boolean[]) as(boolean[].class)).clone();
  }

  /** Values of a DT_STRING tensor as raw bytes. */
  public byte[][] bytes() {
    byte[][] v = (byte[][]) as(byte[][].class);
    byte[][] out = new byte[v.length][];
    for (int k = 0; k < v.length; k++) {
      out[k] = v[k].clone();
    }
    return out;
  }

  /** Values of a DT_STRING tensor decoded as UTF-8. */
  public String[] strings() {
    byte[][] v = (byte[][]) as(byte[][].class);
    String[] out = new String[v.length];
    for (int k = 0; k < v.length; k++) {
      out[k] = new String(v[k], StandardCharsets.UTF_8);
    }
    return out;
  }

  private Object as(Class<?> type) {
    Class<?> have = values instanceof Packed ? (((Packed) values).width == 4 ? float[].class : double[].class)
        : values.getClass();
    if (!type.isAssignableFrom(have)) {
      throw new PayloadException("tensor is " + dtype + ", not readable as " + type.getSimpleName());
    }
    return values;
  }

  @Override
  public String toString() {
    return "Tensor{" + dtype + " " + Arrays.toString(shape) + ", " + size + " values}";
  }

  static long[] checkShape(long[] shape, int count) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new PayloadException("shape " + Arrays.toString(shape) + " has a negative dimension");
      }
      n = Math.multiplyExact(n, d);
    }
    if (n != count) {
      throw new PayloadException("shape " + Arrays.toString(shape) + " holds " + n + " values but " + count
          + " were given; pass a shape whose product is " + count);
    }
    return shape.clone();
  }

  private static Tensor convert(DataType dt, Flat f, long[] shape) {
    Object src = f.values;
    switch (dt) {
      case DT_FLOAT: {
        if (src instanceof float[]) {
          return new Tensor(dt, shape, src);
        }
        double[] d = Flat.toDoubles(src, dt);
        float[] out = new float[d.length];
        for (int k = 0; k < d.length; k++) {
          out[k] = (float) d[k];
          if (Float.isInfinite(out[k]) && Double.isFinite(d[k])) {
            throw new PayloadException("value " + d[k] + " at index " + k + " is beyond DT_FLOAT's range; send DT_DOUBLE");
          }
        }
        return new Tensor(dt, shape, out);
      }
      case DT_DOUBLE:
        return new Tensor(dt, shape, src instanceof double[] ? src : Flat.toDoubles(src, dt));
      case DT_INT64:
        return new Tensor(dt, shape, Flat.toLongs(src, dt));
      case DT_INT32: case DT_INT16: case DT_INT8: case DT_UINT8: case DT_UINT16: {
        long[] l = Flat.toLongs(src, dt);
        boolean unsigned = dt == DataType.DT_UINT8 && f.leaf == byte.class;
        int[] out = new int[l.length];
        for (int k = 0; k < l.length; k++) {
          if (unsigned) {
            l[k] &= 0xff;
          }
          if (l[k] < dt.min() || l[k] > dt.max()) {
            throw new PayloadException("value " + l[k] + " at index " + k + " is out of range for " + dt
                + " (" + dt.min() + ".." + dt.max() + "); pick a wider dtype");
          }
          out[k] = (int) l[k];
        }
        return new Tensor(dt, shape, out);
      }
      case DT_BOOL:
        if (!(src instanceof boolean[])) {
          throw new PayloadException("DT_BOOL needs boolean values, got " + f.kind());
        }
        return new Tensor(dt, shape, src);
      case DT_STRING:
        if (!(src instanceof byte[][])) {
          throw new PayloadException("DT_STRING needs String values, got " + f.kind());
        }
        return new Tensor(dt, shape, src);
      default:
        throw new PayloadException(dt + " cannot be sent from Java; use DT_FLOAT, DT_DOUBLE, DT_INT8/16/32/64, "
            + "DT_UINT8/16, DT_BOOL or DT_STRING");
    }
  }

  /** Flattened caller values: float[], double[], int[] (from int/short/byte/char), long[], boolean[] or byte[][]. */
  static final class Flat {
    final Object values;
    final DataType dtype;
    final long[] shape;
    final int size;
    /** The leaf Java type, for messages and for unsigned reading of byte[]. */
    final Class<?> leaf;

    Flat(Object values, DataType dtype, long[] shape, Class<?> leaf) {
      this.values = values;
      this.dtype = dtype;
      this.shape = shape;
      this.size = Array.getLength(values);
      this.leaf = leaf;
    }

    String kind() {
      return leaf.getSimpleName() + " values";
    }

    static Flat of(Object v) {
      if (v == null) {
        throw new PayloadException("tensor values are null; pass an array or a boxed scalar");
      }
      Object scalar = boxedScalar(v);
      if (scalar != null) {
        return flat1(scalar, new long[0]);
      }
      if (v instanceof List) {
        return Untyped.of((List<?>) v);
      }
      if (!v.getClass().isArray()) {
        throw new PayloadException("cannot make a tensor from a " + v.getClass().getName()
            + "; pass a primitive array (float[], int[][], ...), String[] or a boxed number");
      }
      Object flat = cloneFlat(v);
      if (flat != null) {
        return flat1(flat, new long[] {Array.getLength(flat)});
      }
      List<Long> dims = new ArrayList<>();
      Class<?> c = v.getClass();
      Object probe = v;
      while (c.isArray() && c.getComponentType().isArray()) {
        int n = Array.getLength(probe);
        dims.add((long) n);
        probe = n > 0 ? Array.get(probe, 0) : null;
        c = c.getComponentType();
        if (probe == null && n > 0) {
          throw new PayloadException("tensor values contain a null row; every row needs the same length");
        }
        if (probe == null) {
          break;
        }
      }
      Class<?> leafArray = c;
      if (probe != null) {
        dims.add((long) Array.getLength(probe));
      } else {
        dims.add(0L);
        while (leafArray.getComponentType().isArray()) {
          leafArray = leafArray.getComponentType();
          dims.add(0L);
        }
      }
      long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
      long total = 1;
      for (long d : shape) {
        total = Math.multiplyExact(total, d);
      }
      if (total > Integer.MAX_VALUE - 8) {
        throw new PayloadException("tensor has " + total + " values; the limit is " + (Integer.MAX_VALUE - 8));
      }
      Object out = Array.newInstance(leafStorage(leafArray.getComponentType()), (int) total);
      int[] pos = {0};
      copy(v, 0, shape, out, pos);
      return flat1(out, shape);
    }

    /**
     * The defensive copy of a one-dimensional array by {@code clone()}, which the JIT fills without
     * zeroing the new array first (a reflective copy zeroes it, then copies): about half the cost for a
     * large tensor. Null for anything else.
     */
    private static Object cloneFlat(Object v) {
      if (v instanceof float[]) {
        return ((float[]) v).clone();
      } else if (v instanceof double[]) {
        return ((double[]) v).clone();
      } else if (v instanceof int[]) {
        return ((int[]) v).clone();
      } else if (v instanceof long[]) {
        return ((long[]) v).clone();
      } else if (v instanceof boolean[]) {
        return ((boolean[]) v).clone();
      }
      return null;
    }

    private static Class<?> leafStorage(Class<?> leaf) {
      if (leaf == String.class) {
        return String.class;
      }
      if (leaf.isPrimitive()) {
        return leaf;
      }
      throw new PayloadException("cannot make a tensor of " + leaf.getName()
          + "; use float, double, int, short, byte, char, long, boolean or String elements");
    }

    private static void copy(Object arr, int depth, long[] shape, Object out, int[] pos) {
      if (arr == null) {
        throw new PayloadException("tensor values contain a null row; every row needs the same length");
      }
      int n = Array.getLength(arr);
      if (n != shape[depth]) {
        throw new PayloadException("ragged tensor: a row at depth " + depth + " has " + n + " values where "
            + shape[depth] + " were expected; all rows need the same length");
      }
      if (depth == shape.length - 1) {
        System.arraycopy(arr, 0, out, pos[0], n);
        pos[0] += n;
        return;
      }
      for (int k = 0; k < n; k++) {
        Object row = Array.get(arr, k);
        if (row == null || !row.getClass().isArray()) {
          throw new PayloadException("ragged tensor: depth " + depth + " mixes rows and values");
        }
        copy(row, depth + 1, shape, out, pos);
      }
    }

    static Object boxedScalar(Object v) {
      if (v instanceof Float) {
        return new float[] {(Float) v};
      } else if (v instanceof Double) {
        return new double[] {(Double) v};
      } else if (v instanceof Integer) {
        return new int[] {(Integer) v};
      } else if (v instanceof Short) {
        return new short[] {(Short) v};
      } else if (v instanceof Byte) {
        return new byte[] {(Byte) v};
      } else if (v instanceof Character) {
        return new char[] {(Character) v};
      } else if (v instanceof Long) {
        return new long[] {(Long) v};
      } else if (v instanceof Boolean) {
        return new boolean[] {(Boolean) v};
      } else if (v instanceof String) {
        return new String[] {(String) v};
      }
      return null;
    }

    /** Normalises a flat primitive/String array to the storage types. */
    static Flat flat1(Object a, long[] shape) {
      Class<?> leaf = a.getClass().getComponentType();
      if (a instanceof float[]) {
        return new Flat(a, DataType.DT_FLOAT, shape, leaf);
      } else if (a instanceof double[]) {
        return new Flat(a, DataType.DT_DOUBLE, shape, leaf);
      } else if (a instanceof long[]) {
        return new Flat(a, DataType.DT_INT64, shape, leaf);
      } else if (a instanceof boolean[]) {
        return new Flat(a, DataType.DT_BOOL, shape, leaf);
      } else if (a instanceof String[]) {
        String[] s = (String[]) a;
        byte[][] out = new byte[s.length][];
        for (int k = 0; k < s.length; k++) {
          if (s[k] == null) {
            throw new PayloadException("string " + k + " is null; pass \"\" instead");
          }
          out[k] = Payload.utf8(s[k], "string " + k);
        }
        return new Flat(out, DataType.DT_STRING, shape, leaf);
      } else if (a instanceof int[]) {
        return new Flat(a, DataType.DT_INT32, shape, leaf);
      } else if (a instanceof short[]) {
        short[] s = (short[]) a;
        int[] out = new int[s.length];
        for (int k = 0; k < s.length; k++) {
          out[k] = s[k];
        }
        return new Flat(out, DataType.DT_INT16, shape, leaf);
      } else if (a instanceof byte[]) {
        byte[] s = (byte[]) a;
        int[] out = new int[s.length];
        for (int k = 0; k < s.length; k++) {
          out[k] = s[k];
        }
        return new Flat(out, DataType.DT_INT8, shape, leaf);
      } else if (a instanceof char[]) {
        char[] s = (char[]) a;
        int[] out = new int[s.length];
        for (int k = 0; k < s.length; k++) {
          out[k] = s[k];
        }
        return new Flat(out, DataType.DT_UINT16, shape, leaf);
      }
      throw new PayloadException("cannot make a tensor of " + leaf.getName());
    }

    static double[] toDoubles(Object src, DataType dt) {
      if (src instanceof double[]) {
        return (double[]) src;
      } else if (src instanceof float[]) {
        float[] f = (float[]) src;
        double[] out = new double[f.length];
        for (int k = 0; k < f.length; k++) {
          out[k] = f[k];
        }
        return out;
      } else if (src instanceof int[]) {
        return Arrays.stream((int[]) src).asDoubleStream().toArray();
      } else if (src instanceof long[]) {
        return Arrays.stream((long[]) src).asDoubleStream().toArray();
      }
      throw new PayloadException(dt + " needs numbers, got " + describe(src));
    }

    static long[] toLongs(Object src, DataType dt) {
      if (src instanceof long[]) {
        return (long[]) src;
      } else if (src instanceof int[]) {
        return Arrays.stream((int[]) src).asLongStream().toArray();
      } else if (src instanceof float[] || src instanceof double[]) {
        throw new PayloadException(dt + " needs integers, got floating-point values; round them yourself or send "
            + "DT_FLOAT/DT_DOUBLE");
      }
      throw new PayloadException(dt + " needs integers, got " + describe(src));
    }

    private static String describe(Object src) {
      return src instanceof boolean[] ? "booleans" : src instanceof byte[][] ? "strings" : src.getClass().getSimpleName();
    }
  }

  /** Test helper view: string values as base64, as the spec vectors write them. */
  static String base64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }
}
