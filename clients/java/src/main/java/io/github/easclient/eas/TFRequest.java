package io.github.easclient.eas;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TensorFlow processor request ({@code PredictRequest} of spec/proto/tf_predict.proto). Immutable.
 *
 * <pre>{@code
 * TFRequest req = TFRequest.builder("serving_default")
 *     .feed("images", new long[] {1, 784}, new float[784])
 *     .fetch("scores")
 *     .build();
 * TFResponse resp = client.predict(req);
 * float[] scores = resp.get("scores").floats();
 * }</pre>
 */
public final class TFRequest {
  private final String signature;
  private final Map<String, Tensor> feeds;
  private final List<String> fetches;

  private TFRequest(Builder b) {
    this.signature = b.signature;
    this.feeds = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.feeds));
    this.fetches = List.copyOf(b.fetches);
  }

  /** A builder; {@code signature} may be null or empty for the model's default signature. */
  public static Builder builder(String signature) {
    return new Builder(signature);
  }

  /** A builder for the model's default signature. */
  public static Builder builder() {
    return new Builder(null);
  }

  public String signature() {
    return signature;
  }

  /** The feeds in the order they were added. */
  public Map<String, Tensor> feeds() {
    return feeds;
  }

  public List<String> fetches() {
    return fetches;
  }

  /** The protobuf body: signature_name (1), inputs (2, insertion order), output_filter (3). */
  public byte[] toByteArray() {
    byte[] sig = signature == null || signature.isEmpty() ? null : Payload.utf8(signature, "signature name");
    List<byte[]> names = new ArrayList<>(feeds.size());
    List<byte[]> outs = new ArrayList<>(fetches.size());
    long size = sig == null ? 0 : 1 + Proto.varintSize(sig.length) + sig.length;
    for (Map.Entry<String, Tensor> e : feeds.entrySet()) {
      byte[] key = Payload.utf8(e.getKey(), "feed name \"" + e.getKey() + "\"");
      names.add(key);
      size += TensorCodec.entrySize(key, e.getValue());
    }
    for (String f : fetches) {
      byte[] b = Payload.utf8(f, "fetch name");
      outs.add(b);
      size += 1 + Proto.varintSize(b.length) + b.length;
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw new PayloadException("request would be " + size + " bytes; the limit is 2 GiB");
    }
    Proto.Writer w = new Proto.Writer((int) size);
    if (sig != null) {
      w.bytes(1, sig);
    }
    int k = 0;
    for (Tensor t : feeds.values()) {
      TensorCodec.mapEntry(w, 2, names.get(k++), t);
    }
    for (byte[] b : outs) {
      w.bytes(3, b);
    }
    return w.toByteArray();
  }

  @Override
  public String toString() {
    return "TFRequest{signature=" + signature + ", feeds=" + feeds + ", fetches=" + fetches + "}";
  }

  /** Collects feeds and fetches; feeding a name again replaces it. */
  public static final class Builder {
    private final String signature;
    private final Map<String, Tensor> feeds = new LinkedHashMap<>();
    private final List<String> fetches = new ArrayList<>();

    private Builder(String signature) {
      this.signature = signature;
    }

    /** Feeds a tensor. */
    public Builder feed(String name, Tensor tensor) {
      if (name == null || tensor == null) {
        throw new PayloadException("feed name and tensor must not be null");
      }
      feeds.put(name, tensor);
      return this;
    }

    /** Feeds a (nested) array or boxed scalar; type and shape inferred (see {@link Tensor}). */
    public Builder feed(String name, Object values) {
      return feed(name, Tensor.of(values));
    }

    public Builder feed(String name, long[] shape, float[] values) {
      return feed(name, Tensor.of(values, shape));
    }

    public Builder feed(String name, long[] shape, double[] values) {
      return feed(name, Tensor.of(values, shape));
    }

    public Builder feed(String name, long[] shape, int[] values) {
      return feed(name, Tensor.of(values, shape));
    }

    public Builder feed(String name, long[] shape, long[] values) {
      return feed(name, Tensor.of(values, shape));
    }

    public Builder feed(String name, long[] shape, boolean[] values) {
      return feed(name, Tensor.of(values, shape));
    }

    public Builder feed(String name, long[] shape, String[] values) {
      return feed(name, Tensor.of(values, shape));
    }

    /** Feeds values converted to {@code dtype} (for example DT_UINT8 from a byte[]). */
    public Builder feed(String name, DataType dtype, long[] shape, Object values) {
      return feed(name, Tensor.of(dtype, values, shape));
    }

    /** Asks only for this output. */
    public Builder fetch(String name) {
      if (name == null) {
        throw new PayloadException("fetch name must not be null");
      }
      fetches.add(name);
      return this;
    }

    public TFRequest build() {
      return new TFRequest(this);
    }
  }
}
