package io.github.easclient.eas;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Token masking for toString, logs and errors (SEC-1). */
final class Redact {
  static final String MASK = "***";
  /** Shorter tokens are masked only where they stand alone: "T" must not turn "HTTP" into "H***P". */
  static final int MIN_SEARCHED = 8;
  private static final Set<String> SECRET_HEADERS =
      Set.of("authorization", "proxy-authorization", "cookie", "x-eas-token");

  private Redact() {}

  static String text(String s, String token) {
    if (s == null || token == null || token.isEmpty()) {
      return s;
    }
    if (s.equals(token)) {
      return MASK;
    }
    return token.length() >= MIN_SEARCHED ? s.replace(token, MASK) : s;
  }

  static byte[] bytes(byte[] b, String token) {
    if (token == null || token.length() < MIN_SEARCHED) {
      return b;
    }
    byte[] t = token.getBytes(StandardCharsets.UTF_8);
    byte[] m = MASK.getBytes(StandardCharsets.US_ASCII);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(b.length);
    int k = 0;
    outer:
    while (k < b.length) {
      if (k + t.length <= b.length) {
        for (int j = 0; j < t.length; j++) {
          if (b[k + j] != t[j]) {
            out.write(b[k]);
            k++;
            continue outer;
          }
        }
        out.write(m, 0, m.length);
        k += t.length;
      } else {
        out.write(b[k]);
        k++;
      }
    }
    return out.toByteArray();
  }

  /** Header map copy: secret names' values as ***, the token masked in every other value. */
  static Map<String, List<String>> headerMap(Map<String, List<String>> headers, String token) {
    Map<String, List<String>> out = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (Map.Entry<String, List<String>> h : headers.entrySet()) {
      boolean secret = SECRET_HEADERS.contains(h.getKey().toLowerCase(Locale.ROOT));
      List<String> vs = new ArrayList<>();
      for (String v : h.getValue()) {
        vs.add(secret ? MASK : text(v, token));
      }
      out.put(h.getKey(), java.util.Collections.unmodifiableList(vs));
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  /** A copy of the header pairs with secret values shown as ***. */
  static List<Map.Entry<String, String>> headers(List<Map.Entry<String, String>> headers) {
    List<Map.Entry<String, String>> out = new ArrayList<>(headers.size());
    for (Map.Entry<String, String> h : headers) {
      boolean secret = SECRET_HEADERS.contains(h.getKey().toLowerCase(Locale.ROOT));
      out.add(Map.entry(h.getKey(), secret ? MASK : h.getValue()));
    }
    return out;
  }
}
