package eas

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Tensor is a decoded output. Values are in the slice matching DType: Float32 (DT_FLOAT),
// Float64 (DT_DOUBLE), Int32 (DT_INT32, DT_INT16, DT_INT8, DT_UINT8, DT_UINT16), Int64
// (DT_INT64), Strings (DT_STRING), Bools (DT_BOOL). Shape is empty for a scalar.
type Tensor struct {
	DType   DType
	Shape   []int64
	Float32 []float32
	Float64 []float64
	Int32   []int32
	Int64   []int64
	Strings [][]byte
	Bools   []bool
}

// Len is the number of values.
func (t *Tensor) Len() int {
	return len(t.Float32) + len(t.Float64) + len(t.Int32) + len(t.Int64) + len(t.Strings) + len(t.Bools)
}

// TFResponse is a decoded TensorFlow predict response.
type TFResponse struct {
	Outputs map[string]*Tensor
}

// TorchResponse is a decoded PyTorch predict response: positional and named outputs.
type TorchResponse struct {
	Outputs    []*Tensor
	MapOutputs map[string]*Tensor
}

// wireError is a malformed-protobuf PayloadError.
func wireError(where string, format string, args ...any) error {
	return payloadError("%s: the response is not a valid predict response (%s)", where, fmt.Sprintf(format, args...))
}

// fields walks a message, calling fn for every field with its raw value bytes (for varint and
// fixed types the encoded value itself). Groups and malformed input are errors.
func fields(where string, b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return wireError(where, "bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		var m int
		switch typ {
		case protowire.VarintType:
			_, m = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			_, m = protowire.ConsumeFixed32(b)
		case protowire.Fixed64Type:
			_, m = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			var v []byte
			v, m = protowire.ConsumeBytes(b)
			if m >= 0 {
				if err := fn(num, typ, v); err != nil {
					return err
				}
				b = b[m:]
				continue
			}
		default:
			return wireError(where, "field %d uses unsupported wire type %d", num, typ)
		}
		if m < 0 {
			return wireError(where, "field %d: %v", num, protowire.ParseError(m))
		}
		if err := fn(num, typ, b[:m]); err != nil {
			return err
		}
		b = b[m:]
	}
	return nil
}

type rawArray struct {
	dtype   DType
	dims    []int64
	floats  []float32
	doubles []float64
	ints    []int64
	int64s  []int64
	strs    [][]byte
	bools   []bool
	filled  []protowire.Number
}

func (r *rawArray) mark(f protowire.Number) {
	for _, x := range r.filled {
		if x == f {
			return
		}
	}
	r.filled = append(r.filled, f)
}

func consumeVarints(where string, v []byte, typ protowire.Type, fn func(uint64)) error {
	if typ == protowire.VarintType {
		x, _ := protowire.ConsumeVarint(v)
		fn(x)
		return nil
	}
	if typ != protowire.BytesType {
		return wireError(where, "varint field has wire type %d", typ)
	}
	for len(v) > 0 {
		x, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return wireError(where, "packed varints: %v", protowire.ParseError(n))
		}
		fn(x)
		v = v[n:]
	}
	return nil
}

func decodeArray(where string, b []byte, allowBool bool) (*Tensor, error) {
	var r rawArray
	err := fields(where, b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch num {
		case fieldDType:
			if typ != protowire.VarintType {
				return wireError(where, "dtype has wire type %d", typ)
			}
			x, _ := protowire.ConsumeVarint(v)
			r.dtype = DType(int32(x))
		case fieldShape:
			if typ != protowire.BytesType {
				return wireError(where, "array_shape has wire type %d", typ)
			}
			return fields(where, v, func(n protowire.Number, t protowire.Type, dv []byte) error {
				if n != fieldShapeDm {
					return nil
				}
				return consumeVarints(where, dv, t, func(x uint64) { r.dims = append(r.dims, int64(x)) })
			})
		case fieldFloat:
			r.mark(num)
			switch typ {
			case protowire.Fixed32Type:
				x, _ := protowire.ConsumeFixed32(v)
				r.floats = append(r.floats, math.Float32frombits(x))
			case protowire.BytesType:
				if len(v)%4 != 0 {
					return wireError(where, "float_val has %d bytes, not a multiple of 4", len(v))
				}
				r.floats = appendFloat32s(r.floats, v)
			default:
				return wireError(where, "float_val has wire type %d", typ)
			}
		case fieldDouble:
			r.mark(num)
			switch typ {
			case protowire.Fixed64Type:
				x, _ := protowire.ConsumeFixed64(v)
				r.doubles = append(r.doubles, math.Float64frombits(x))
			case protowire.BytesType:
				if len(v)%8 != 0 {
					return wireError(where, "double_val has %d bytes, not a multiple of 8", len(v))
				}
				r.doubles = appendFloat64s(r.doubles, v)
			default:
				return wireError(where, "double_val has wire type %d", typ)
			}
		case fieldInt:
			r.mark(num)
			return consumeVarints(where, v, typ, func(x uint64) { r.ints = append(r.ints, int64(int32(x))) })
		case fieldInt64:
			r.mark(num)
			return consumeVarints(where, v, typ, func(x uint64) { r.int64s = append(r.int64s, int64(x)) })
		case fieldBool:
			if !allowBool {
				return nil // not in the PyTorch proto: an unknown field
			}
			r.mark(num)
			return consumeVarints(where, v, typ, func(x uint64) { r.bools = append(r.bools, x != 0) })
		case fieldString:
			if typ != protowire.BytesType {
				return wireError(where, "string_val has wire type %d", typ)
			}
			r.mark(num)
			r.strs = append(r.strs, append([]byte(nil), v...))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if r.dtype == DTInvalid {
		r.dtype = DTFloat
		if len(r.filled) > 0 {
			min := r.filled[0]
			for _, f := range r.filled {
				min = minNumber(min, f)
			}
			r.dtype = map[protowire.Number]DType{fieldFloat: DTFloat, fieldDouble: DTDouble, fieldInt: DTInt32,
				fieldString: DTString, fieldInt64: DTInt64, fieldBool: DTBool}[min]
		}
	}
	if valueField(r.dtype) == 0 || (r.dtype == DTBool && !allowBool) {
		return nil, payloadError("%s: dtype %s is not supported in responses", where, r.dtype)
	}
	t := &Tensor{DType: r.dtype}
	var count int
	switch valueField(r.dtype) {
	case fieldFloat:
		t.Float32, count = r.floats, len(r.floats)
	case fieldDouble:
		t.Float64, count = r.doubles, len(r.doubles)
	case fieldInt:
		t.Int32 = make([]int32, len(r.ints))
		for i, x := range r.ints {
			t.Int32[i] = int32(x)
		}
		count = len(r.ints)
	case fieldInt64:
		t.Int64, count = r.int64s, len(r.int64s)
	case fieldString:
		t.Strings, count = r.strs, len(r.strs)
	case fieldBool:
		t.Bools, count = r.bools, len(r.bools)
	}
	for _, d := range r.dims {
		if d < 0 {
			return nil, payloadError("%s: array_shape %v has a negative dimension", where, r.dims)
		}
	}
	switch {
	case len(r.dims) > 0:
		want := int64(1)
		for _, d := range r.dims {
			if d != 0 && want > math.MaxInt64/d {
				return nil, payloadError("%s: array_shape %v is too large", where, r.dims)
			}
			want *= d
		}
		if want != int64(count) {
			return nil, payloadError("%s: array_shape %v needs %d values but %d arrived", where, r.dims, want, count)
		}
		t.Shape = r.dims
	case count == 1: // servers that omit the shape: one value is a scalar, more a vector
		t.Shape = []int64{}
	default:
		t.Shape = []int64{int64(count)}
	}
	return t, nil
}

func minNumber(a, b protowire.Number) protowire.Number {
	if a < b {
		return a
	}
	return b
}

// decodeMapEntry reads a map<string, ArrayProto> entry.
func decodeMapEntry(where string, b []byte, allowBool bool) (string, *Tensor, error) {
	var key string
	var val []byte
	err := fields(where, b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			key = string(v)
		case 2:
			val = v
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	t, err := decodeArray(fmt.Sprintf("output %q", key), val, allowBool)
	return key, t, err
}

// DecodeTFResponse decodes a TensorFlow predict response; malformed bytes are a PayloadError.
func DecodeTFResponse(body []byte) (*TFResponse, error) {
	resp := &TFResponse{Outputs: map[string]*Tensor{}}
	err := fields("TF response", body, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != 1 {
			return nil
		}
		if typ != protowire.BytesType {
			return wireError("TF response", "outputs has wire type %d", typ)
		}
		k, t, err := decodeMapEntry("TF response", v, true)
		if err != nil {
			return err
		}
		resp.Outputs[k] = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// DecodeTorchResponse decodes a PyTorch predict response; malformed bytes are a PayloadError.
func DecodeTorchResponse(body []byte) (*TorchResponse, error) {
	resp := &TorchResponse{MapOutputs: map[string]*Tensor{}}
	err := fields("PyTorch response", body, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != 1 && num != 2 {
			return nil
		}
		if typ != protowire.BytesType {
			return wireError("PyTorch response", "field %d has wire type %d", num, typ)
		}
		if num == 1 {
			t, err := decodeArray(fmt.Sprintf("output %d", len(resp.Outputs)), v, false)
			if err != nil {
				return err
			}
			resp.Outputs = append(resp.Outputs, t)
			return nil
		}
		k, t, err := decodeMapEntry("PyTorch response", v, false)
		if err != nil {
			return err
		}
		resp.MapOutputs[k] = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
