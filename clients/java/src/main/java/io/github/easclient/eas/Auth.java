package io.github.easclient.eas;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Raw and signed authentication (AUTH-1..3). Pure: the time is passed in. */
final class Auth {
  private static final DateTimeFormatter RFC1123 =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Auth() {}

  /** Checks a token the caller gave (AUTH-1); the message never contains the token. */
  static void checkToken(String token) {
    if (token.isEmpty()) {
      throw new EasConfigException("token is empty: pass the service token, or leave it unset (null) for no auth");
    }
    for (int k = 0; k < token.length(); k++) {
      char c = token.charAt(k);
      if (c <= 0x20 || c >= 0x7f) {
        throw new EasConfigException("token contains whitespace, a control or a non-ASCII character at position " + k
            + "; copy the token again from the EAS console (no quotes, no newline)");
      }
    }
  }

  /** All 32 lowercase hex digits of the body's MD5. */
  static String contentMd5(byte[] body) {
    try {
      byte[] d = MessageDigest.getInstance("MD5").digest(body);
      char[] out = new char[32];
      for (int k = 0; k < 16; k++) {
        out[2 * k] = HEX[(d[k] >> 4) & 15];
        out[2 * k + 1] = HEX[d[k] & 15];
      }
      return new String(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("MD5 is required by every Java runtime", e);
    }
  }

  /** RFC 1123 date in real GMT, whole seconds. */
  static String date(Instant now) {
    return RFC1123.format(now);
  }

  static String stringToSign(String md5, String contentType, String date, String path) {
    return "POST\n" + md5 + "\n" + contentType + "\n" + date + "\n" + path;
  }

  /** {@code EAS <base64(HMAC-SHA1(token, stringToSign))>}. */
  static String authorization(String token, String stringToSign) {
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      byte[] sig = mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8));
      return "EAS " + Base64.getEncoder().encodeToString(sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA1 is required by every Java runtime", e);
    }
  }
}
