package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
  }

  private static byte[] reencodeAsResponse(byte[] request) {
    // Field 2 (inputs) of the request becomes field 1 (outputs): only the first tag byte differs.
    byte[] out = request.clone();
    out[0] = 0x0a;
    return out;
  }
}
