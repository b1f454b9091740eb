package io.github.easclient.eas;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A PyTorch processor request ({@code pytorch.eas.PredictRequest}). Positional inputs by index (a skipped
 * index is sent as an empty tensor), named inputs in {@code map_inputs}. DT_BOOL is refused: cast to uint8.
 *
 * <pre>{@code
 * TorchRequest req = TorchRequest.builder()
 *     .feed(0, Tensor.of(new float[1 * 3 * 224 * 224], 1, 3, 224, 224))
 *     .fetch(0)
 *     .build();
 * TorchResponse resp = client.predict(req);
 * }</pre>
 */
public final class TorchRequest {
  private final TreeMap<Integer, Tensor> inputs;
  private final Map<String, Tensor> mapInputs;
  private final List<Integer> fetches;
  private final int debugLevel;

  private TorchRequest(Builder b) {
    this.inputs = new TreeMap<>(b.inputs);
    this.mapInputs = new LinkedHashMap<>(b.mapInputs);
    this.fetches = List.copyOf(b.fetches);
    this.debugLevel = b.debugLevel;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** inputs (1), output_filter (2, packed), map_inputs (3), debug_level (100). */
  public byte[] toByteArray() {
    long size = 0;
    for (Tensor t : inputs.values()) {
      size += TensorCodec.messageSize(t);
    }
    Proto.Writer w = new Proto.Writer((int) Math.min(Integer.MAX_VALUE - 8, size + 64));
    int next = 0;
    for (Map.Entry<Integer, Tensor> e : inputs.entrySet()) {
      for (; next < e.getKey(); next++) {
        w.message(1, new Proto.Writer(0));
      }
      TensorCodec.message(w, 1, e.getValue());
      next = e.getKey() + 1;
    }
    if (!fetches.isEmpty()) {
      Proto.Writer f = new Proto.Writer(fetches.size() * 2);
      for (int x : fetches) {
        f.varint(x);
      }
      w.message(2, f);
    }
    for (Map.Entry<String, Tensor> e : mapInputs.entrySet()) {
      TensorCodec.mapEntry(w, 3, Payload.utf8(e.getKey(), "input name \"" + e.getKey() + "\""), e.getValue());
    }
    if (debugLevel != 0) {
      w.tag(100, 0);
      w.varint(debugLevel);
    }
    return w.toByteArray();
  }

  @Override
  public String toString() {
    return "TorchRequest{inputs=" + inputs + ", mapInputs=" + mapInputs + ", fetches=" + fetches + "}";
  }

  /** Collects inputs; feeding an index or name again replaces it. */
  public static final class Builder {
    private final Map<Integer, Tensor> inputs = new TreeMap<>();
    private final Map<String, Tensor> mapInputs = new LinkedHashMap<>();
    private final List<Integer> fetches = new ArrayList<>();
    private int debugLevel;

    private Builder() {}

    /** Positional input {@code index} (the model's argument number). */
    public Builder feed(int index, Tensor tensor) {
      if (index < 0 || index > 1_000_000) {
        throw new PayloadException("input index " + index + " must be in 0..1000000");
      }
      inputs.put(index, checked(tensor));
      return this;
    }

    /** Positional input from a (nested) array, type and shape inferred. */
    public Builder feed(int index, Object values) {
      return feed(index, Tensor.of(values));
    }

    /** Named input (map_inputs). */
    public Builder feed(String name, Tensor tensor) {
      if (name == null) {
        throw new PayloadException("input name must not be null");
      }
      mapInputs.put(name, checked(tensor));
      return this;
    }

    public Builder feed(String name, Object values) {
      return feed(name, Tensor.of(values));
    }

    /** Asks only for output {@code index}. */
    public Builder fetch(int index) {
      fetches.add(index);
      return this;
    }

    public Builder debugLevel(int level) {
      this.debugLevel = level;
      return this;
    }

    public TorchRequest build() {
      return new TorchRequest(this);
    }

    private static Tensor checked(Tensor t) {
      if (t == null) {
        throw new PayloadException("tensor must not be null");
      }
      if (t.dtype() == DataType.DT_BOOL) {
        throw new PayloadException("PyTorch requests cannot carry DT_BOOL; send the values as DT_UINT8 (0/1)");
      }
      return t;
    }
  }
}
