package io.github.easclient.eas;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader (discovery answers) and a compact writer (JSON payloads, PAYLOAD-3), so the
 * client needs no JSON library. Objects read as LinkedHashMap, arrays as ArrayList, integers as Long,
 * other numbers as Double.
 */
final class Json {
  private static final int MAX_DEPTH = 64;

  private final String s;
  private int i;

  private Json(String s) {
    this.s = s;
  }

  /** Parses one JSON value; IllegalArgumentException names the problem. */
  static Object parse(String text) {
    Json p = new Json(text);
    p.ws();
    Object v = p.value(0);
    p.ws();
    if (p.i != text.length()) {
      throw p.fail("trailing characters");
    }
    return v;
  }

  private IllegalArgumentException fail(String what) {
    return new IllegalArgumentException("invalid JSON at offset " + i + ": " + what);
  }

  private void ws() {
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      i++;
    }
  }

  private Object value(int depth) {
    if (depth > MAX_DEPTH) {
      throw fail("nested too deeply");
    }
    if (i >= s.length()) {
      throw fail("unexpected end");
    }
    char c = s.charAt(i);
    switch (c) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw fail("unexpected character");
    }
  }

  private Object literal(String word, Object v) {
    if (!s.startsWith(word, i)) {
      throw fail("expected " + word);
    }
    i += word.length();
    return v;
  }

  private Map<String, Object> object(int depth) {
    Map<String, Object> m = new LinkedHashMap<>();
    i++;
    ws();
    if (i < s.length() && s.charAt(i) == '}') {
      i++;
      return m;
    }
    while (true) {
      ws();
      if (i >= s.length() || s.charAt(i) != '"') {
        throw fail("expected a key");
      }
      String k = string();
      ws();
      expect(':');
      ws();
      m.put(k, value(depth + 1));
      ws();
      if (i < s.length() && s.charAt(i) == ',') {
        i++;
        continue;
      }
      expect('}');
      return m;
    }
  }

  private List<Object> array(int depth) {
    List<Object> a = new ArrayList<>();
    i++;
    ws();
    if (i < s.length() && s.charAt(i) == ']') {
      i++;
      return a;
    }
    while (true) {
      ws();
      a.add(value(depth + 1));
      ws();
      if (i < s.length() && s.charAt(i) == ',') {
        i++;
        continue;
      }
      expect(']');
      return a;
    }
  }

  private void expect(char c) {
    if (i >= s.length() || s.charAt(i) != c) {
      throw fail("expected '" + c + "'");
    }
    i++;
  }

  private String string() {
    i++;
    StringBuilder b = new StringBuilder();
    while (true) {
      if (i >= s.length()) {
        throw fail("unterminated string");
      }
      char c = s.charAt(i++);
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        throw fail("control character in string");
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (i >= s.length()) {
        throw fail("unterminated escape");
      }
      char e = s.charAt(i++);
      switch (e) {
        case '"': b.append('"'); break;
        case '\\': b.append('\\'); break;
        case '/': b.append('/'); break;
        case 'b': b.append('\b'); break;
        case 'f': b.append('\f'); break;
        case 'n': b.append('\n'); break;
        case 'r': b.append('\r'); break;
        case 't': b.append('\t'); break;
        case 'u':
          if (i + 4 > s.length()) {
            throw fail("short \\u escape");
          }
          try {
            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
          } catch (NumberFormatException ex) {
            throw fail("bad \\u escape");
          }
          i += 4;
          break;
        default:
          throw fail("bad escape");
      }
    }
  }

  private Object number() {
    int start = i;
    if (s.charAt(i) == '-') {
      i++;
    }
    int digits = i;
    while (i < s.length() && Character.isDigit(s.charAt(i))) {
      i++;
    }
    if (i == digits || (s.charAt(digits) == '0' && i - digits > 1)) {
      throw fail("bad number");
    }
    boolean integral = true;
    if (i < s.length() && s.charAt(i) == '.') {
      integral = false;
      i++;
      int f = i;
      while (i < s.length() && Character.isDigit(s.charAt(i))) {
        i++;
      }
      if (i == f) {
        throw fail("bad fraction");
      }
    }
    if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      integral = false;
      i++;
      if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        i++;
      }
      int x = i;
      while (i < s.length() && Character.isDigit(s.charAt(i))) {
        i++;
      }
      if (i == x) {
        throw fail("bad exponent");
      }
    }
    String t = s.substring(start, i);
    if (integral) {
      try {
        return Long.parseLong(t);
      } catch (NumberFormatException ex) {
        return new BigDecimal(t).doubleValue();
      }
    }
    return Double.parseDouble(t);
  }

  /**
   * Compact JSON (separators "," and ":", non-ASCII unescaped) of maps, collections, arrays, strings,
   * numbers, booleans and null. PayloadException for NaN/Infinity and unsupported types.
   */
  static byte[] write(Object v) {
    StringBuilder b = new StringBuilder();
    write(b, v, 0);
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void write(StringBuilder b, Object v, int depth) {
    if (depth > MAX_DEPTH) {
      throw new PayloadException("JSON payload is nested more than " + MAX_DEPTH + " levels deep");
    }
    if (v == null) {
      b.append("null");
    } else if (v instanceof String) {
      quote(b, (String) v);
    } else if (v instanceof Boolean) {
      b.append(v);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new PayloadException("JSON payload contains " + d + ", which JSON cannot represent; send null or a number");
      }
      b.append(formatDouble(d));
    } else if (v instanceof Number) {
      b.append(v);
    } else if (v instanceof Map) {
      b.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        if (!(e.getKey() instanceof String)) {
          throw new PayloadException("JSON payload has a map key of type "
              + (e.getKey() == null ? "null" : e.getKey().getClass().getName()) + "; keys must be strings");
        }
        if (!first) {
          b.append(',');
        }
        first = false;
        quote(b, (String) e.getKey());
        b.append(':');
        write(b, e.getValue(), depth + 1);
      }
      b.append('}');
    } else if (v instanceof List || v instanceof Object[]) {
      Collection<?> c = v instanceof List ? (List<?>) v : List.of((Object[]) v);
      b.append('[');
      boolean first = true;
      for (Object o : c) {
        if (!first) {
          b.append(',');
        }
        first = false;
        write(b, o, depth + 1);
      }
      b.append(']');
    } else {
      throw new PayloadException("cannot send a " + v.getClass().getName()
          + " as JSON; use a Map, List, array, String, Number, Boolean or null");
    }
  }

  private static String formatDouble(double d) {
    // Double.toString is the shortest round-tripping form; JSON wants a lower-case exponent.
    return Double.toString(d).replace("E", "e");
  }

  private static void quote(StringBuilder b, String s) {
    b.append('"');
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      switch (c) {
        case '"': b.append("\\\""); break;
        case '\\': b.append("\\\\"); break;
        case '\n': b.append("\\n"); break;
        case '\r': b.append("\\r"); break;
        case '\t': b.append("\\t"); break;
        case '\b': b.append("\\b"); break;
        case '\f': b.append("\\f"); break;
        default:
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
      }
    }
    b.append('"');
  }
}
