package io.github.easclient.eas;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/** Untyped (nested) lists as tensors: the dtype is inferred from the values (PAYLOAD-7). */
final class Untyped {
  private Untyped() {}

  static Tensor.Flat of(List<?> list) {
    List<Long> dims = new ArrayList<>();
    Object probe = list;
    while (probe instanceof List) {
      List<?> l = (List<?>) probe;
      dims.add((long) l.size());
      probe = l.isEmpty() ? null : l.get(0);
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    List<Object> leaves = new ArrayList<>();
    collect(list, 0, shape, leaves);
    boolean bools = false;
    boolean strings = false;
    boolean floats = false;
    boolean ints = false;
    for (Object o : leaves) {
      if (o instanceof Boolean) {
        bools = true;
      } else if (o instanceof String) {
        strings = true;
      } else if (o instanceof Double || o instanceof Float || o instanceof BigDecimal) {
        floats = true;
      } else if (o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte) {
        ints = true;
      } else if (o instanceof BigInteger) {
        if (((BigInteger) o).bitLength() > 63) {
          throw new PayloadException("integer " + o + " is beyond int64; send it as a string or a float");
        }
        ints = true;
      } else {
        throw new PayloadException("cannot make a tensor value of "
            + (o == null ? "null" : o.getClass().getName()) + "; use numbers, booleans or strings");
      }
    }
    int kinds = (bools ? 1 : 0) + (strings ? 1 : 0) + (floats || ints ? 1 : 0);
    if (kinds > 1) {
      throw new PayloadException("untyped list mixes " + (strings ? "strings, " : "") + (bools ? "booleans, " : "")
          + "numbers; give every value the same type");
    }
    int n = leaves.size();
    if (bools) {
      boolean[] out = new boolean[n];
      for (int k = 0; k < n; k++) {
        out[k] = (Boolean) leaves.get(k);
      }
      return Tensor.Flat.flat1(out, shape);
    }
    if (strings) {
      return Tensor.Flat.flat1(leaves.toArray(new String[0]), shape);
    }
    if (floats || n == 0) { // no values to infer from: DT_DOUBLE (PAYLOAD-7)
      double[] out = new double[n];
      for (int k = 0; k < n; k++) {
        out[k] = ((Number) leaves.get(k)).doubleValue();
      }
      return Tensor.Flat.flat1(out, shape);
    }
    long[] out = new long[n];
    for (int k = 0; k < n; k++) {
      out[k] = ((Number) leaves.get(k)).longValue();
    }
    return Tensor.Flat.flat1(out, shape);
  }

  private static void collect(Object v, int depth, long[] shape, List<Object> out) {
    if (depth == shape.length) {
      if (v instanceof List) {
        throw new PayloadException("ragged list: a value at depth " + depth + " is a list; all rows need the same depth");
      }
      out.add(v);
      return;
    }
    if (!(v instanceof List) || ((List<?>) v).size() != shape[depth]) {
      throw new PayloadException("ragged list: rows at depth " + depth + " differ in length or depth; "
          + "all rows need " + shape[depth] + " values");
    }
    for (Object o : (List<?>) v) {
      collect(o, depth + 1, shape, out);
    }
  }
}
