package io.github.easclient.eas;

import java.util.Collections;
import java.util.Map;
import java.util.Set;

/** A TensorFlow processor response: named output tensors in the server's order. */
public final class TFResponse {
  private final Map<String, Tensor> outputs;

  private TFResponse(Map<String, Tensor> outputs) {
    this.outputs = Collections.unmodifiableMap(outputs);
  }

  /**
   * Decodes a {@code PredictResponse} body; PayloadException when it is malformed. Packed float and double
   * values are not copied here: each {@code floats()}/{@code doubles()} call copies them out of
   * {@code body} in one block, so do not change the array afterwards (pass {@code body.clone()} if you must).
   */
  public static TFResponse parse(byte[] body) {
    if (body == null) {
      throw new PayloadException("response body is null");
    }
    Map<String, Tensor> out = TensorCodec.newMap();
    Proto.Reader r = new Proto.Reader(body, 0, body.length);
    while (!r.done()) {
      long key = r.varint();
      int field = (int) (key >>> 3);
      int wt = (int) (key & 7);
      if (field == 1 && wt == 2) {
        TensorCodec.readEntry(r.sub(), out, false);
      } else {
        r.skip(wt);
      }
    }
    return new TFResponse(out);
  }

  /** One output; PayloadException listing the names present when it is missing. */
  public Tensor get(String name) {
    Tensor t = outputs.get(name);
    if (t == null) {
      throw new PayloadException("no output \"" + name + "\" in the response; it has " + outputs.keySet());
    }
    return t;
  }

  public Set<String> keys() {
    return outputs.keySet();
  }

  public Map<String, Tensor> outputs() {
    return outputs;
  }

  @Override
  public String toString() {
    return "TFResponse" + outputs;
  }
}
