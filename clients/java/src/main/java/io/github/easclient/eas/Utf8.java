package io.github.easclient.eas;

/** Strict UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). Pure. */
final class Utf8 {
  private Utf8() {}

  static boolean valid(byte[] b, int from, int to) {
    int i = from;
    // Most event-stream text is ASCII: one comparison per byte until the first byte that is not.
    while (i < to && b[i] >= 0) {
      i++;
    }
    while (i < to) {
      int c = b[i] & 0xFF;
      if (c < 0x80) {
        i++;
        continue;
      }
      int n;
      int lo = 0x80;
      int hi = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        if (c == 0xE0) {
          lo = 0xA0;
        } else if (c == 0xED) {
          hi = 0x9F;
        }
      } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        if (c == 0xF0) {
          lo = 0x90;
        } else if (c == 0xF4) {
          hi = 0x8F;
        }
      } else {
        return false;
      }
      if (i + n >= to) {
        return false;
      }
      int c1 = b[i + 1] & 0xFF;
      if (c1 < lo || c1 > hi) {
        return false;
      }
      for (int k = 2; k <= n; k++) {
        int ck = b[i + k] & 0xFF;
        if (ck < 0x80 || ck > 0xBF) {
          return false;
        }
      }
      i += n + 1;
    }
    return true;
  }
}
