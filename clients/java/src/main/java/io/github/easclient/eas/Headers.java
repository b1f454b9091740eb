package io.github.easclient.eas;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The headers of one attempt (HDR-1..3, AUTH-1..3). Pure: the time is passed in. */
final class Headers {
  /** Set by the HTTP stack; a caller value would be ignored or break framing. */
  private static final Set<String> TRANSPORT_OWNED = Set.of("host", "connection", "content-length", "expect", "upgrade",
      "transfer-encoding", "te", "trailer", "keep-alive", "proxy-connection");
  /** With a token these would break or duplicate the credential. */
  private static final Set<String> CREDENTIAL = Set.of("authorization", "date", "content-md5");

  private Headers() {}

  /** Validates caller headers once (names are tokens, values have no CR/LF/NUL). Returns an ordered copy. */
  static List<Map.Entry<String, String>> check(Map<String, String> headers, boolean hasToken, String where) {
    if (headers == null || headers.isEmpty()) {
      return List.of();
    }
    List<Map.Entry<String, String>> out = new ArrayList<>();
    for (Map.Entry<String, String> h : headers.entrySet()) {
      String name = h.getKey();
      String value = h.getValue();
      if (name == null || name.isEmpty() || !name.chars().allMatch(Headers::tokenChar)) {
        throw new EasConfigException(where + " header name \"" + name + "\" is not a valid HTTP token; use letters, digits and -");
      }
      if (value == null || !value.chars().allMatch(Headers::valueChar)) {
        // HDR-4: never echo the value, it may be a credential.
        throw new EasConfigException(where + " header " + name + " has a null value or a character other than visible "
            + "ASCII, space and tab; percent-encode or remove it");
      }
      String lower = name.toLowerCase(Locale.ROOT);
      if (TRANSPORT_OWNED.contains(lower)) {
        throw new EasConfigException(where + " header " + name + " is set by the HTTP client; remove it");
      }
      if (hasToken && CREDENTIAL.contains(lower)) {
        throw new EasConfigException(where + " header " + name + " conflicts with the configured token; "
            + "remove the header, or drop the token to send your own credentials");
      }
      out.add(Map.entry(name, value));
    }
    return out;
  }

  /** HDR-1: the caller's application name after ours, so a server always sees which client sent a request. */
  static String userAgent(String suffix) {
    if (suffix == null) {
      return Defaults.USER_AGENT;
    }
    if (suffix.isEmpty()) {
      throw new EasConfigException("userAgent(\"\") names no application; pass \"my-app/1.2\" or leave it out");
    }
    if (!suffix.chars().allMatch(Headers::valueChar)) {
      throw new EasConfigException("userAgent has a control or non-ASCII character; use visible ASCII and spaces only");
    }
    return Defaults.USER_AGENT + " " + suffix;
  }

  /** HDR-4: visible ASCII, space and tab. */
  private static boolean valueChar(int c) {
    return c == '\t' || (c >= 0x20 && c <= 0x7e);
  }

  private static boolean tokenChar(int c) {
    return c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
  }

  /**
   * The attempt's headers in order: User-Agent, Content-Type, caller headers (client then call, later
   * names replacing earlier ones in any letter case), then the credential.
   */
  static List<Map.Entry<String, String>> build(String userAgent, String token, boolean signed, Payload payload,
      List<Map.Entry<String, String>> clientHeaders, List<Map.Entry<String, String>> callHeaders,
      String signPath, Instant now) {
    Map<String, Map.Entry<String, String>> m = new LinkedHashMap<>();
    m.put("user-agent", Map.entry("User-Agent", userAgent));
    m.put("content-type", Map.entry("Content-Type", payload.contentType));
    for (Map.Entry<String, String> h : clientHeaders) {
      m.put(h.getKey().toLowerCase(Locale.ROOT), h);
    }
    for (Map.Entry<String, String> h : callHeaders) {
      m.put(h.getKey().toLowerCase(Locale.ROOT), h);
    }
    if (token != null) {
      if (signed) {
        String md5 = Auth.contentMd5(payload.body);
        String date = Auth.date(now);
        String ct = m.get("content-type").getValue();
        m.put("content-md5", Map.entry("Content-MD5", md5));
        m.put("date", Map.entry("Date", date));
        m.put("authorization", Map.entry("Authorization",
            Auth.authorization(token, Auth.stringToSign(md5, ct, date, signPath))));
      } else {
        m.put("authorization", Map.entry("Authorization", token));
      }
    }
    return new ArrayList<>(m.values());
  }
}
