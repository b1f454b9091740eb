package io.github.easclient.eas;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** A PyTorch processor response: positional outputs and named {@code map_outputs}. */
public final class TorchResponse {
  private final List<Tensor> outputs;
  private final Map<String, Tensor> mapOutputs;

  private TorchResponse(List<Tensor> outputs, Map<String, Tensor> mapOutputs) {
    this.outputs = Collections.unmodifiableList(outputs);
    this.mapOutputs = Collections.unmodifiableMap(mapOutputs);
  }

  /**
   * Decodes a {@code pytorch.eas.PredictResponse} body; PayloadException when it is malformed. Packed float and double
   * values are not copied here: each {@code floats()}/{@code doubles()} call copies them out of
   * {@code body} in one block, so do not change the array afterwards (pass {@code body.clone()} if you must).
   */
  public static TorchResponse parse(byte[] body) {
    if (body == null) {
      throw new PayloadException("response body is null");
    }
    List<Tensor> outs = new ArrayList<>();
    Map<String, Tensor> named = TensorCodec.newMap();
    Proto.Reader r = new Proto.Reader(body, 0, body.length);
    while (!r.done()) {
      long key = r.varint();
      int field = (int) (key >>> 3);
      int wt = (int) (key & 7);
      if (field == 1 && wt == 2) {
        outs.add(TensorCodec.decode(r.sub(), true));
      } else if (field == 2 && wt == 2) {
        TensorCodec.readEntry(r.sub(), named, true);
      } else {
        r.skip(wt);
      }
    }
    return new TorchResponse(outs, named);
  }

  /** Positional output {@code index}. */
  public Tensor get(int index) {
    if (index < 0 || index >= outputs.size()) {
      throw new PayloadException("no output " + index + "; the response has " + outputs.size() + " positional outputs");
    }
    return outputs.get(index);
  }

  /** Named output. */
  public Tensor get(String name) {
    Tensor t = mapOutputs.get(name);
    if (t == null) {
      throw new PayloadException("no output \"" + name + "\"; the response has " + mapOutputs.keySet());
    }
    return t;
  }

  public List<Tensor> outputs() {
    return outputs;
  }

  public Map<String, Tensor> mapOutputs() {
    return mapOutputs;
  }

  @Override
  public String toString() {
    return "TorchResponse{outputs=" + outputs + ", mapOutputs=" + mapOutputs + "}";
  }
}
