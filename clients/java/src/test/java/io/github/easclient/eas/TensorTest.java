package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Tensor construction in Java terms (the wire bytes are pinned by vectors/payloads.json). */
class TensorTest {
  @Test
  void nestedArraysGiveTypeAndShape() {
    Tensor t = Tensor.of(new float[][] {{1, 2, 3}, {4, 5, 6}});
    assertEquals(DataType.DT_FLOAT, t.dtype());
    assertArrayEquals(new long[] {2, 3}, t.shape());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.floats());
    assertEquals(DataType.DT_UINT16, Tensor.of(new char[] {65535}).dtype());
    assertEquals(DataType.DT_INT16, Tensor.of(new short[] {1}).dtype());
    assertEquals(0, Tensor.of(2.5f).shape().length);
    assertArrayEquals(new long[] {0, 3}, Tensor.of(new int[0], 0, 3).shape());
    assertArrayEquals(new long[] {0, 0}, Tensor.of(new int[0][3]).shape(), "Java keeps no row length for zero rows");
  }

  @Test
  void bytesDeclaredUint8AreUnsigned() {
    Tensor t = Tensor.of(DataType.DT_UINT8, new byte[] {0, 127, (byte) 128, (byte) 255}, 2, 2);
    assertArrayEquals(new int[] {0, 127, 128, 255}, t.ints());
  }

  @Test
  void mistakesArePayloadExceptions() {
    assertThrows(PayloadException.class, () -> Tensor.of(new float[5], 2, 3));
    assertThrows(PayloadException.class, () -> Tensor.of(new Object[] {1, 2}));
    assertThrows(PayloadException.class, () -> Tensor.of(new Integer[] {1, 2}));
    assertThrows(PayloadException.class, () -> Tensor.of(new int[][] {{1, 2}, {3}}));
    assertThrows(PayloadException.class, () -> Tensor.of(new int[][] {{1, 2}, null}));
    assertThrows(PayloadException.class, () -> Tensor.of((Object) null));
    assertThrows(PayloadException.class, () -> Tensor.of(new String[] {"a", null}));
    assertThrows(PayloadException.class, () -> Tensor.of(DataType.DT_INT8, new int[] {200}));
    assertThrows(PayloadException.class, () -> Tensor.of(DataType.DT_INT32, new double[] {1.0}));
    assertThrows(PayloadException.class, () -> Tensor.of(DataType.DT_COMPLEX64, new float[] {1}));
    assertThrows(PayloadException.class, () -> Tensor.of(DataType.DT_STRING, new int[] {1}));
    assertThrows(PayloadException.class, () -> Tensor.of(new float[] {1}).ints());
    assertThrows(PayloadException.class,
        () -> TorchRequest.builder().feed(0, new boolean[] {true}));
    assertThrows(PayloadException.class, () -> TFResponse.parse(new byte[] {(byte) 0xff}));
    assertThrows(PayloadException.class, () -> TFResponse.parse(new byte[0]).get("missing"));
  }

  @Test
  void aLargeFloatTensorRoundTrips() {
    float[] v = new float[1_000_000];
    for (int k = 0; k < v.length; k++) {
      v[k] = k * 0.5f;
    }
    byte[] body = TFRequest.builder().feed("x", new long[] {1000, 1000}, v).build().toByteArray();
    // A PredictRequest's inputs entry has the same layout as a PredictResponse's outputs entry.
    TFResponse back = TFResponse.parse(body.clone().length > 0 ? reencodeAsResponse(body) : body);
    assertArrayEquals(v, back.get("x").floats());
    assertArrayEquals(new long[] {1000, 1000}, back.get("x").shape());
    float[] into = new float[v.length + 1];
    into[v.length] = 7;
    assertSame(into, back.get("x").floats(into));
    assertArrayEquals(v, java.util.Arrays.copyOf(into, v.length));
    assertEquals(7, into[v.length], "nothing written past the tensor's values");
  }

  @Test
  void floatsIntoAnArrayChecksItsSizeAndType() {
    Tensor built = Tensor.of(new float[] {1, 2, 3});
    assertArrayEquals(new float[] {1, 2, 3}, built.floats(new float[3]));
    PayloadException small = assertThrows(PayloadException.class, () -> built.floats(new float[2]));
    assertTrue(small.getMessage().contains("float[3]"), small.getMessage());
    assertThrows(PayloadException.class, () -> built.floats(null));
    assertThrows(PayloadException.class, () -> Tensor.of(new int[] {1}).floats(new float[1]));
  }

  @Test
  void aDecodedPackedFieldIsCopiedOutByEachRead() {
    byte[] body = reencodeAsResponse(TFRequest.builder().feed("x", new long[] {3}, new float[] {1, 2, 3}).build()
        .toByteArray());
    Tensor t = TFResponse.parse(body).get("x");
    float[] a = t.floats();
    a[0] = 99;
    assertArrayEquals(new float[] {1, 2, 3}, t.floats(), "each read is a fresh copy");
    assertThrows(PayloadException.class, t::doubles);
    // Sent on as it came: the packed bytes are written back unchanged.
    byte[] again = reencodeAsResponse(TFRequest.builder().feed("x", t).build().toByteArray());
    assertArrayEquals(body, again);
    Tensor d = TFResponse.parse(reencodeAsResponse(TFRequest.builder().feed("y", new long[] {2}, new double[] {0.5, -1})
        .build().toByteArray())).get("y");
    assertArrayEquals(new double[] {0.5, -1}, d.doubles());
    assertEquals(DataType.DT_DOUBLE, d.dtype());
  }

  @Test
  void packedAndUnpackedRunsOfOneFieldAreJoined() {
    // ArrayProto {dtype: DT_FLOAT, float_val: packed [1, 2], float_val: 3 (fixed32), float_val: packed [4]}.
    Proto.Writer w = new Proto.Writer(0);
    w.tag(1, 0);
    w.varint(DataType.DT_FLOAT.number());
    w.tag(3, 2);
    w.varint(8);
    w.floats(new float[] {1, 2});
    w.tag(3, 5);
    w.fixed32(Float.floatToIntBits(3));
    w.tag(3, 2);
    w.varint(4);
    w.floats(new float[] {4});
    byte[] b = w.toByteArray();
    Tensor t = TensorCodec.decode(new Proto.Reader(b, 0, b.length), false);
    assertArrayEquals(new float[] {1, 2, 3, 4}, t.floats());
    assertArrayEquals(new long[] {4}, t.shape());
  }

  private static byte[] reencodeAsResponse(byte[] request) {
    // Field 2 (inputs) of the request becomes field 1 (outputs): only the first tag byte differs.
    byte[] out = request.clone();
    out[0] = 0x0a;
    return out;
  }
}
