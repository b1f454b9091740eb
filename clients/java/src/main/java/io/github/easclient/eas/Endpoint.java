package io.github.easclient.eas;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An endpoint parsed once by the builder (URL-1..8): where calls go and which path is signed.
 *
 * <p>Pure: no I/O. {@link #url(String, List)} builds one call's URL from the sub-path and query pairs.
 */
final class Endpoint {
  static final String PREDICT = "/api/predict/";

  final String scheme;
  final String authority;
  /** Path of the service URL (prefix included), without a trailing '/'. */
  final String path;
  /** The endpoint's own raw query (without '?'), or "" for none. */
  final String query;
  /** The service name, or null for a custom URL used verbatim. */
  final String service;
  /** {@link #origin()} and the query string of a call without pairs, made once: every call asks for them. */
  private final String origin;
  private final String bareQuery;

  private Endpoint(String scheme, String authority, String path, String query, String service) {
    this.scheme = scheme;
    this.authority = authority;
    this.path = path;
    this.query = query;
    this.service = service;
    this.origin = scheme + "://" + authority;
    this.bareQuery = query.isEmpty() ? "" : "?" + query;
  }

  /** The origin, {@code scheme://host[:port]}. */
  String origin() {
    return origin;
  }

  /** The service URL without a query. */
  String base() {
    return origin() + path;
  }

  /** Parses an endpoint and an optional service name; EasConfigException names any problem (URL-7). */
  static Endpoint parse(String endpoint, String serviceName) {
    if (endpoint == null || endpoint.isBlank()) {
      throw new EasConfigException(
          "endpoint is missing: pass builder().endpoint(\"http://host/api/predict/<service>\") or set EAS_ENDPOINT");
    }
    String e = endpoint.strip();
    for (int k = 0; k < e.length(); k++) {
      char ch = e.charAt(k);
      if (Character.isWhitespace(ch) || Character.isISOControl(ch) || ch > 0x7e) {
        // URL-9: a control or non-ASCII character would fail every attempt; say so once, here.
        throw new EasConfigException("endpoint contains whitespace, a control or a non-ASCII character at position " + k
            + "; remove it, percent-encode it, or use the IDNA (xn--) form of the host");
      }
    }
    if (e.indexOf('#') >= 0) {
      throw new EasConfigException("endpoint \"" + e + "\" has a fragment (#...); remove it");
    }
    String scheme = "http";
    int sep = e.indexOf("://");
    if (sep >= 0) {
      scheme = e.substring(0, sep).toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new EasConfigException("endpoint scheme \"" + e.substring(0, sep) + "\" is not supported; use http:// or https://");
      }
      e = e.substring(sep + 3);
    }
    int end = 0;
    while (end < e.length() && e.charAt(end) != '/' && e.charAt(end) != '?') {
      end++;
    }
    String authority = e.substring(0, end);
    String rest = e.substring(end);
    checkAuthority(authority, endpoint.strip());
    String query = "";
    int q = rest.indexOf('?');
    if (q >= 0) {
      query = rest.substring(q + 1);
      rest = rest.substring(0, q);
    }
    String svcName = cleanService(serviceName);
    int at = rest.indexOf(PREDICT);
    if (at >= 0) {
      String svc = trimSlashes(rest.substring(at + PREDICT.length()));
      if (svc.isEmpty()) {
        throw new EasConfigException("endpoint has /api/predict/ but no service name after it; add the service name");
      }
      if (svcName != null && !svcName.equals(svc)) {
        throw new EasConfigException("service name \"" + svcName + "\" disagrees with the endpoint's service \""
            + svc + "\"; pass one or the other");
      }
      return new Endpoint(scheme, authority, rest.substring(0, at) + PREDICT + svc, query, svc);
    }
    String prefix = rest;
    while (prefix.endsWith("/")) {
      prefix = prefix.substring(0, prefix.length() - 1);
    }
    if (svcName != null) {
      return new Endpoint(scheme, authority, prefix + PREDICT + svcName, query, svcName);
    }
    if (prefix.isEmpty()) {
      throw new EasConfigException("endpoint \"" + endpoint.strip() + "\" names no service: use http://host/api/predict/<service>, "
          + "or set serviceName(...) / EAS_SERVICE_NAME");
    }
    return new Endpoint(scheme, authority, rest, query, null);
  }

  private static void checkAuthority(String a, String shown) {
    if (a.isEmpty()) {
      throw new EasConfigException("endpoint \"" + shown + "\" has no host; use http://host[:port]/...");
    }
    if (a.indexOf('@') >= 0) {
      // Never echo the endpoint here: it holds credentials.
      throw new EasConfigException("endpoint must not contain credentials (user@host); pass the token with token(...)");
    }
    String host = a;
    String port = null;
    if (a.startsWith("[")) {
      int close = a.indexOf(']');
      if (close < 0) {
        throw new EasConfigException("endpoint \"" + shown + "\" has an unclosed IPv6 bracket; write [::1]:port");
      }
      host = a.substring(0, close + 1);
      String after = a.substring(close + 1);
      if (!after.isEmpty()) {
        if (!after.startsWith(":")) {
          throw new EasConfigException("endpoint \"" + shown + "\" has text after the IPv6 address; write [addr]:port");
        }
        port = after.substring(1);
      }
    } else {
      int colon = a.lastIndexOf(':');
      if (colon >= 0) {
        host = a.substring(0, colon);
        port = a.substring(colon + 1);
      }
      if (host.indexOf('[') >= 0 || host.indexOf(']') >= 0 || host.indexOf(':') >= 0) {
        throw new EasConfigException("endpoint \"" + shown + "\" has a malformed host; put IPv6 addresses in brackets");
      }
    }
    if (host.isEmpty() || host.equals("[]")) {
      throw new EasConfigException("endpoint \"" + shown + "\" has no host; use http://host[:port]/...");
    }
    if (port != null) {
      boolean ok = !port.isEmpty() && port.length() <= 5 && port.chars().allMatch(Character::isDigit);
      if (!ok || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
        throw new EasConfigException("endpoint \"" + shown + "\" has a bad port \"" + port + "\"; use 1-65535");
      }
    }
  }

  private static String cleanService(String name) {
    if (name == null) {
      return null;
    }
    String s = trimSlashes(name.strip());
    if (s.isEmpty()) {
      return null;
    }
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      if (Character.isWhitespace(c) || Character.isISOControl(c) || c > 0x7e || c == '?' || c == '#' || c == '%') {
        throw new EasConfigException("service name \"" + s + "\" contains '" + (Character.isWhitespace(c) ? "whitespace" : c)
            + "'; use the name shown in the EAS console");
      }
    }
    return s;
  }

  private static String trimSlashes(String s) {
    int a = 0;
    int b = s.length();
    while (a < b && s.charAt(a) == '/') {
      a++;
    }
    while (b > a && s.charAt(b - 1) == '/') {
      b--;
    }
    return s.substring(a, b);
  }

  /** The path after the sub-path is appended (URL-5), %-encoded; this is also the signed path (URL-8). */
  String path(String subPath) {
    if (subPath == null || subPath.isEmpty()) {
      return path;
    }
    if (subPath.indexOf('?') >= 0 || subPath.indexOf('#') >= 0) {
      throw new EasConfigException("sub-path \"" + subPath + "\" contains '?' or '#'; pass query pairs with param(...)");
    }
    int a = 0;
    while (a < subPath.length() && subPath.charAt(a) == '/') {
      a++;
    }
    return path + "/" + encodePath(subPath.substring(a));
  }

  /** The full request URL: path(subPath), then the endpoint's query, then the call's pairs (URL-6). */
  String url(String subPath, List<Map.Entry<String, Object>> params) {
    return origin() + path(subPath) + queryString(params);
  }

  /** "" or "?..." from the endpoint's query then the call's pairs. */
  String queryString(List<Map.Entry<String, Object>> params) {
    if (params == null || params.isEmpty()) {
      return bareQuery;
    }
    StringBuilder b = new StringBuilder(query);
    if (params != null) {
      for (Map.Entry<String, Object> p : params) {
        if (b.length() > 0) {
          b.append('&');
        }
        b.append(encodeQuery(p.getKey()));
        if (p.getValue() != null) {
          b.append('=').append(encodeQuery(String.valueOf(p.getValue())));
        }
      }
    }
    return b.length() == 0 ? "" : "?" + b;
  }

  private static final String HEX = "0123456789ABCDEF";

  private static boolean unreserved(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~';
  }

  static String encodeQuery(String s) {
    return encode(s, "");
  }

  static String encodePath(String s) {
    // RFC 3986 pchar (minus '%', so a literal percent sign survives) plus '/'.
    return encode(s, "!$&'()*+,;=:@/");
  }

  private static String encode(String s, String alsoSafe) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if (unreserved(c) || alsoSafe.indexOf(c) >= 0) {
        b.append((char) c);
      } else {
        b.append('%').append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 15));
      }
    }
    return b.toString();
  }
}
