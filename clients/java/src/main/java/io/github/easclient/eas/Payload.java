package io.github.easclient.eas;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** A request body and its default content type (PAYLOAD-1..4). */
final class Payload {
  static final String OCTET = "application/octet-stream";
  static final String TEXT = "text/plain; charset=utf-8";
  static final String JSON = "application/json";

  enum Kind { BYTES, TEXT, JSON, TF, TORCH }

  final byte[] body;
  final String contentType;
  final Kind kind;

  private Payload(byte[] body, String contentType, Kind kind) {
    this.body = body;
    this.contentType = contentType;
    this.kind = kind;
  }

  static Payload bytes(byte[] b) {
    if (b == null) {
      throw new PayloadException("body is null; pass new byte[0] for an empty body");
    }
    return new Payload(b, OCTET, Kind.BYTES);
  }

  static Payload text(String s) {
    if (s == null) {
      throw new PayloadException("body is null; pass \"\" for an empty body");
    }
    return new Payload(utf8(s, "text body"), TEXT, Kind.TEXT);
  }

  static Payload json(Object v) {
    if (!(v instanceof Map || v instanceof Collection || v instanceof Object[])) {
      throw new PayloadException("a JSON payload must be a Map, List or array, not "
          + (v == null ? "null" : v.getClass().getName()));
    }
    checkStrings(v, 0);
    return new Payload(Json.write(v), JSON, Kind.JSON);
  }

  static Payload tf(TFRequest r) {
    if (r == null) {
      throw new PayloadException("TFRequest is null");
    }
    return new Payload(r.toByteArray(), OCTET, Kind.TF);
  }

  static Payload torch(TorchRequest r) {
    if (r == null) {
      throw new PayloadException("TorchRequest is null");
    }
    return new Payload(r.toByteArray(), OCTET, Kind.TORCH);
  }

  /** Any supported body object: byte[], String, Map/List/array (JSON), TFRequest, TorchRequest. */
  static Payload of(Object v) {
    if (v instanceof byte[]) {
      return bytes((byte[]) v);
    } else if (v instanceof String) {
      return text((String) v);
    } else if (v instanceof TFRequest) {
      return tf((TFRequest) v);
    } else if (v instanceof TorchRequest) {
      return torch((TorchRequest) v);
    } else if (v instanceof Map || v instanceof List || v instanceof Object[]) {
      return json(v);
    }
    throw new PayloadException("cannot send a " + (v == null ? "null" : v.getClass().getName())
        + "; pass byte[], String, a Map/List (JSON), TFRequest or TorchRequest");
  }

  /** Strict UTF-8: a lone surrogate is a PayloadException naming {@code what}. */
  static byte[] utf8(String s, String what) {
    for (int k = 0; k < s.length(); k++) {
      if (Character.isSurrogate(s.charAt(k))) {
        try {
          ByteBuffer b = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(s));
          byte[] out = new byte[b.remaining()];
          b.get(out);
          return out;
        } catch (CharacterCodingException e) {
          throw new PayloadException(what + " is not valid Unicode (a lone surrogate); fix the string");
        }
      }
    }
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void checkStrings(Object v, int depth) {
    if (depth > 64) {
      return;
    }
    if (v instanceof String) {
      utf8((String) v, "a JSON string");
    } else if (v instanceof Map) {
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        checkStrings(e.getKey(), depth + 1);
        checkStrings(e.getValue(), depth + 1);
      }
    } else if (v instanceof Collection) {
      for (Object o : (Collection<?>) v) {
        checkStrings(o, depth + 1);
      }
    } else if (v instanceof Object[]) {
      for (Object o : (Object[]) v) {
        checkStrings(o, depth + 1);
      }
    }
  }
}
