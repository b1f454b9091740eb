package io.github.easclient.eas;

/**
 * EAS {@code ArrayDataType} (spec/proto), with its wire number. Sendable from Java: FLOAT, DOUBLE,
 * INT8/16/32/64, UINT8/16, BOOL (TensorFlow only) and STRING. The quantised types are read as plain integers.
 */
public enum DataType {
  DT_INVALID(0), DT_FLOAT(1), DT_DOUBLE(2), DT_INT32(3), DT_UINT8(4), DT_INT16(5), DT_INT8(6), DT_STRING(7),
  DT_COMPLEX64(8), DT_INT64(9), DT_BOOL(10), DT_QINT8(11), DT_QUINT8(12), DT_QINT32(13), DT_BFLOAT16(14),
  DT_QINT16(15), DT_QUINT16(16), DT_UINT16(17), DT_COMPLEX128(18), DT_HALF(19), DT_RESOURCE(20), DT_VARIANT(21);

  private final int number;

  DataType(int number) {
    this.number = number;
  }

  /** The protobuf enum number. */
  public int number() {
    return number;
  }

  /** The type for a wire number; DT_INVALID for an unknown one. */
  public static DataType forNumber(int n) {
    for (DataType d : values()) {
      if (d.number == n) {
        return d;
      }
    }
    return DT_INVALID;
  }

  /** Whether values travel in {@code int_val} (field 5). */
  boolean isIntVal() {
    switch (this) {
      case DT_INT32: case DT_UINT8: case DT_INT16: case DT_INT8: case DT_UINT16:
      case DT_QINT8: case DT_QUINT8: case DT_QINT32: case DT_QINT16: case DT_QUINT16:
        return true;
      default:
        return false;
    }
  }

  /** Inclusive range of a sendable int_val type. */
  long min() {
    switch (this) {
      case DT_INT8: return Byte.MIN_VALUE;
      case DT_INT16: return Short.MIN_VALUE;
      case DT_UINT8: case DT_UINT16: return 0;
      default: return Integer.MIN_VALUE;
    }
  }

  long max() {
    switch (this) {
      case DT_INT8: return Byte.MAX_VALUE;
      case DT_INT16: return Short.MAX_VALUE;
      case DT_UINT8: return 255;
      case DT_UINT16: return 65535;
      default: return Integer.MAX_VALUE;
    }
  }
}
