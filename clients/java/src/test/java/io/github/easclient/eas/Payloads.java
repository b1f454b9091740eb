package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * vectors/payloads.json: JSON feeds become the Java arrays a caller would hold (float32 → float[],
 * uint16 → char[], uint8 → byte[] declared DT_UINT8, plain lists → long[]/double[]/boolean[]/String[],
 * nested lists → nested arrays, so a ragged list is a ragged Java array). "layout" describes numpy
 * memory layouts that Java arrays do not have; it is read and ignored, as §payloads allows.
 */
final class Payloads {
  private static final Set<String> FEED_KEYS = Set.of("name", "index", "values", "input_dtype", "type", "dtype", "shape",
      "layout");

  private Payloads() {}

  static void run(SpecCase c) {
    String kind = c.in("kind").asText();
    switch (kind) {
      case "tf_request":
      case "torch_request": {
        JsonNode input = c.node.path("input");
        for (String k : List.of("feeds", "fetches", "signature_name", "debug_level")) {
          c.in(k);
        }
        if (c.hasEx("error")) {
          SpecTest.expectKind(c.ex("error").asText(), () -> body(kind, input));
          return;
        }
        c.ex("message"); // the same message as body_hex in protobuf's JSON mapping; body_hex is compared exactly
        assertEquals(c.ex("body_hex").asText(), SpecTest.hex(body(kind, input)));
        return;
      }
      case "tf_response":
      case "torch_response": {
        byte[] body = SpecTest.hex(c.in("body_hex").asText());
        if (c.hasEx("error")) {
          SpecTest.expectKind(c.ex("error").asText(),
              () -> {
                if (kind.equals("tf_response")) {
                  TFResponse.parse(body);
                } else {
                  TorchResponse.parse(body);
                }
              });
          return;
        }
        Map<String, Tensor> got = new java.util.LinkedHashMap<>();
        if (kind.equals("tf_response")) {
          got.putAll(TFResponse.parse(body).outputs());
        } else {
          TorchResponse r = TorchResponse.parse(body);
          for (int k = 0; k < r.outputs().size(); k++) {
            got.put(Integer.toString(k), r.outputs().get(k));
          }
          got.putAll(r.mapOutputs());
        }
        JsonNode want = c.ex("outputs");
        List<String> wantKeys = new ArrayList<>();
        want.fieldNames().forEachRemaining(wantKeys::add);
        assertEquals(new java.util.TreeSet<>(wantKeys), new java.util.TreeSet<>(got.keySet()), "output names");
        for (String k : wantKeys) {
          checkTensor(k, want.get(k), got.get(k));
        }
        return;
      }
      default:
        throw new AssertionError("unknown payload kind " + kind);
    }
  }

  private static byte[] body(String kind, JsonNode input) {
    return kind.equals("tf_request") ? tfRequest(input).toByteArray() : torchRequest(input).toByteArray();
  }

  static TFRequest tfRequest(JsonNode input) {
    TFRequest.Builder b = TFRequest.builder(Vectors.textOrNull(input.path("signature_name")));
    for (JsonNode f : input.path("feeds")) {
      b.feed(f.get("name").asText(), tensor(f));
    }
    for (JsonNode f : input.path("fetches")) {
      b.fetch(f.asText());
    }
    return b.build();
  }

  static TorchRequest torchRequest(JsonNode input) {
    TorchRequest.Builder b = TorchRequest.builder();
    for (JsonNode f : input.path("feeds")) {
      if (f.has("index")) {
        b.feed(f.get("index").asInt(), tensor(f));
      } else {
        b.feed(f.get("name").asText(), tensor(f));
      }
    }
    for (JsonNode f : input.path("fetches")) {
      b.fetch(f.asInt());
    }
    if (input.has("debug_level")) {
      b.debugLevel(input.get("debug_level").asInt());
    }
    return b.build();
  }

  static Tensor tensor(JsonNode feed) {
    feed.fieldNames().forEachRemaining(k -> {
      if (!FEED_KEYS.contains(k)) {
        throw new AssertionError("the Java runner does not understand feed key " + k);
      }
    });
    JsonNode values = feed.get("values");
    if (!feed.has("input_dtype")) {
      return typed(feed, values);
    }
    String inputDtype = feed.get("input_dtype").asText();
    long[] shape = null;
    if (feed.has("shape")) {
      shape = new long[feed.get("shape").size()];
      for (int k = 0; k < shape.length; k++) {
        shape[k] = feed.get("shape").get(k).asLong();
      }
    }
    DataType declared = feed.has("dtype") ? DataType.valueOf(feed.get("dtype").asText()) : null;
    if (inputDtype.equals("bytes")) {
      List<byte[]> list = new ArrayList<>();
      values.forEach(v -> list.add(Base64.getDecoder().decode(v.asText())));
      byte[][] arr = list.toArray(new byte[0][]);
      return shape == null ? Tensor.ofBytes(arr) : Tensor.ofBytes(arr, shape);
    }
    Class<?> leaf = leaf(inputDtype, values);
    Object java = toJava(values, leaf);
    if (inputDtype.equals("uint8") && declared == null) {
      declared = DataType.DT_UINT8;
    }
    if (declared != null) {
      return shape == null ? Tensor.of(declared, java) : Tensor.of(declared, java, shape);
    }
    return shape == null ? Tensor.of(java) : Tensor.of(java, shape);
  }

  /**
   * Spec v2 feeds: {@code type} names the caller's typed array per the type table of PAYLOAD-5
   * (uint8/uint16 → int[] with the declared dtype); no type is an untyped {@code List<Object>}.
   */
  private static Tensor typed(JsonNode feed, JsonNode values) {
    long[] shape = null;
    if (feed.has("shape")) {
      shape = new long[feed.get("shape").size()];
      for (int k = 0; k < shape.length; k++) {
        shape[k] = feed.get("shape").get(k).asLong();
      }
    }
    DataType declared = feed.has("dtype") ? DataType.valueOf(feed.get("dtype").asText()) : null;
    Object java;
    if (!feed.has("type")) {
      java = SpecTest.JSON.convertValue(values, Object.class);
    } else {
      String type = feed.get("type").asText();
      switch (type) {
        case "bytes": {
          List<byte[]> list = new ArrayList<>();
          values.forEach(v -> list.add(Base64.getDecoder().decode(v.asText())));
          byte[][] arr = list.toArray(new byte[0][]);
          return shape == null ? Tensor.ofBytes(arr) : Tensor.ofBytes(arr, shape);
        }
        case "uint8":
        case "uint16":
          java = toJava(values, int.class);
          if (declared == null) {
            declared = type.equals("uint8") ? DataType.DT_UINT8 : DataType.DT_UINT16;
          }
          break;
        case "string":
          java = toJava(values, String.class);
          break;
        default:
          java = toJava(values, leaf(type, values));
      }
    }
    if (declared != null) {
      return shape == null ? Tensor.of(declared, java) : Tensor.of(declared, java, shape);
    }
    return shape == null ? Tensor.of(java) : Tensor.of(java, shape);
  }

  private static Class<?> leaf(String inputDtype, JsonNode values) {
    switch (inputDtype) {
      case "float32": return float.class;
      case "float64": return double.class;
      case "int32": return int.class;
      case "int16": return short.class;
      case "int8": case "uint8": return byte.class;
      case "uint16": return char.class;
      case "int64": return long.class;
      case "bool": return boolean.class;
      case "str": return String.class;
      case "list": {
        boolean[] seen = new boolean[4]; // bool, string, float, int
        scan(values, seen);
        return seen[0] ? boolean.class : seen[1] ? String.class : seen[2] ? double.class : long.class;
      }
      default:
        throw new AssertionError("no Java array type for element type " + inputDtype
            + " (list the case in spec/not-applicable/java.txt)");
    }
  }

  private static void scan(JsonNode v, boolean[] seen) {
    if (v.isArray()) {
      v.forEach(x -> scan(x, seen));
    } else if (v.isBoolean()) {
      seen[0] = true;
    } else if (v.isTextual()) {
      seen[1] = true;
    } else if (v.isFloatingPointNumber()) {
      seen[2] = true;
    }
  }

  /** Nested JSON arrays to nested Java arrays of {@code leaf}; a scalar to its boxed value. */
  static Object toJava(JsonNode v, Class<?> leaf) {
    if (!v.isArray()) {
      Object a = Array.newInstance(leaf, 1);
      Array.set(a, 0, scalar(v, leaf));
      return Array.get(a, 0);
    }
    int depth = 1;
    for (JsonNode p = v; p.isArray() && p.size() > 0 && p.get(0).isArray(); p = p.get(0)) {
      depth++;
    }
    return build(v, leaf, depth);
  }

  private static Object build(JsonNode v, Class<?> leaf, int depth) {
    if (depth == 1) {
      Object a = Array.newInstance(leaf, v.size());
      for (int k = 0; k < v.size(); k++) {
        if (v.get(k).isArray()) {
          throw new AssertionError("mixed nesting cannot be a Java array");
        }
        Array.set(a, k, scalar(v.get(k), leaf));
      }
      return a;
    }
    Class<?> rowType = Array.newInstance(leaf, new int[depth - 1]).getClass();
    Object a = Array.newInstance(rowType, v.size());
    for (int k = 0; k < v.size(); k++) {
      Array.set(a, k, build(v.get(k), leaf, depth - 1));
    }
    return a;
  }

  private static Object scalar(JsonNode v, Class<?> leaf) {
    if (leaf == float.class) {
      return (float) number(v);
    } else if (leaf == double.class) {
      return number(v);
    } else if (leaf == int.class) {
      return v.asInt();
    } else if (leaf == short.class) {
      return (short) v.asInt();
    } else if (leaf == byte.class) {
      return (byte) v.asInt();
    } else if (leaf == char.class) {
      return (char) v.asInt();
    } else if (leaf == long.class) {
      return v.asLong();
    } else if (leaf == boolean.class) {
      return v.asBoolean();
    }
    return v.asText();
  }

  static double number(JsonNode v) {
    if (v.isTextual()) {
      switch (v.asText()) {
        case "NaN": return Double.NaN;
        case "Infinity": return Double.POSITIVE_INFINITY;
        case "-Infinity": return Double.NEGATIVE_INFINITY;
        default: throw new AssertionError("not a number: " + v);
      }
    }
    return v.asDouble();
  }

  private static void checkTensor(String name, JsonNode want, Tensor t) {
    assertEquals(want.get("dtype").asText(), t.dtype().name(), name + " dtype");
    long[] shape = new long[want.get("shape").size()];
    for (int k = 0; k < shape.length; k++) {
      shape[k] = want.get("shape").get(k).asLong();
    }
    assertArrayEquals(shape, t.shape(), name + " shape");
    JsonNode vals = want.get("values");
    assertEquals(vals.size(), t.size(), name + " value count");
    Object v = t.array();
    for (int k = 0; k < vals.size(); k++) {
      JsonNode w = vals.get(k);
      String at = name + "[" + k + "]";
      if (v instanceof float[]) {
        assertEquals(Float.floatToIntBits((float) number(w)), Float.floatToIntBits(((float[]) v)[k]), at);
      } else if (v instanceof double[]) {
        assertEquals(Double.doubleToLongBits(number(w)), Double.doubleToLongBits(((double[]) v)[k]), at);
      } else if (v instanceof int[]) {
        assertEquals(w.asLong(), ((int[]) v)[k], at);
      } else if (v instanceof long[]) {
        assertEquals(w.asLong(), ((long[]) v)[k], at);
      } else if (v instanceof boolean[]) {
        assertEquals(w.asBoolean(), ((boolean[]) v)[k], at);
      } else {
        assertEquals(w.asText(), Base64.getEncoder().encodeToString(((byte[][]) v)[k]), at);
      }
    }
  }
}
