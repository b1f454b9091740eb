package eas

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strings"
)

type marshaler interface{ Marshal() ([]byte, error) }

// specInt reads a JSON integer; values past int64 (JSON writers that went through a double)
// are clamped to the int64 range.
func specInt(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%v is not a number", v)
	}
	if x, err := n.Int64(); err == nil {
		return x, nil
	}
	f, _, err := big.ParseFloat(string(n), 10, 200, big.ToNearestEven)
	if err != nil {
		return 0, err
	}
	if !f.IsInt() {
		return 0, fmt.Errorf("%v is not an integer", v)
	}
	if f.Sign() > 0 {
		return math.MaxInt64, nil
	}
	return math.MinInt64, nil
}

func isIntNumber(v any) bool {
	n, ok := v.(json.Number)
	return ok && !strings.ContainsAny(string(n), ".eE")
}

// specFloat reads a number or one of "NaN", "Infinity", "-Infinity".
func specFloat(v any) (float64, error) {
	switch x := v.(type) {
	case json.Number:
		return x.Float64()
	case string:
		switch x {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
	}
	return 0, fmt.Errorf("%v is not a float", v)
}

// flatten walks nested lists in row-major order; ragged nesting is reported.
func flatten(v any) (flat []any, shape []int64, err error) {
	l, ok := v.([]any)
	if !ok {
		return []any{v}, []int64{}, nil
	}
	shape = []int64{int64(len(l))}
	var inner []int64
	for i, x := range l {
		f, s, err := flatten(x)
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			inner = s
		} else if fmt.Sprint(s) != fmt.Sprint(inner) {
			return nil, nil, fmt.Errorf("ragged list")
		}
		flat = append(flat, f...)
	}
	return flat, append(shape, inner...), nil
}

// typedValues converts flat JSON values to the Go slice a caller with that dtype would hold.
func typedValues(flat []any, inputDType string) (any, error) {
	ints := func() ([]int64, error) {
		out := make([]int64, len(flat))
		for i, v := range flat {
			x, err := specInt(v)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	floats := func() ([]float64, error) {
		out := make([]float64, len(flat))
		for i, v := range flat {
			x, err := specFloat(v)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	switch inputDType {
	case "float32":
		f, err := floats()
		out := make([]float32, len(f))
		for i, x := range f {
			out[i] = float32(x)
		}
		return out, err
	case "float64":
		return floats()
	case "int64", "int32", "int16", "int8", "uint8", "uint16":
		x, err := ints()
		if err != nil {
			return nil, err
		}
		switch inputDType {
		case "int64":
			return x, nil
		case "int32":
			return convertInts[int32](x), nil
		case "int16":
			return convertInts[int16](x), nil
		case "int8":
			return convertInts[int8](x), nil
		case "uint8":
			return convertInts[uint8](x), nil
		default:
			return convertInts[uint16](x), nil
		}
	case "uint32":
		x, err := ints()
		return convertInts[uint32](x), err
	case "complex64":
		f, err := floats()
		out := make([]complex64, len(f))
		for i, x := range f {
			out[i] = complex(float32(x), 0)
		}
		return out, err
	case "bool":
		out := make([]bool, len(flat))
		for i, v := range flat {
			out[i], _ = v.(bool)
		}
		return out, nil
	case "str":
		out := make([]string, len(flat))
		for i, v := range flat {
			out[i], _ = v.(string)
		}
		return out, nil
	case "bytes":
		out := make([][]byte, len(flat))
		for i, v := range flat {
			s, _ := v.(string)
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, err
			}
			out[i] = b
		}
		return out, nil
	case "list": // plain values: integers become int64, any float makes it float64
		allInt, allBool, allStr := true, true, true
		for _, v := range flat {
			_, isBool := v.(bool)
			_, isStr := v.(string)
			allInt = allInt && isIntNumber(v)
			allBool = allBool && isBool
			allStr = allStr && isStr
		}
		switch {
		case len(flat) > 0 && allBool:
			return typedValues(flat, "bool")
		case len(flat) > 0 && allStr:
			return typedValues(flat, "str")
		case allInt:
			return ints()
		default:
			return floats()
		}
	}
	return nil, fmt.Errorf("the Go runner does not understand input_dtype %q", inputDType)
}

func convertInts[T int8 | int16 | int32 | uint8 | uint16 | uint32](x []int64) []T {
	out := make([]T, len(x))
	for i, v := range x {
		out[i] = T(v)
	}
	return out
}

type specFeed struct {
	name     string
	hasName  bool
	index    int
	hasIndex bool
	dtype    DType
	shape    []int64
	values   any
}

func parseFeed(v any) (specFeed, error) {
	o := toObj(v)
	if err := o.only("feed", "name", "index", "values", "type", "dtype", "shape"); err != nil {
		return specFeed{}, err
	}
	var f specFeed
	f.name, f.hasName = o.str("name")
	if o.has("index") {
		f.index, f.hasIndex = o.int("index"), true
	}
	if o.has("shape") {
		f.shape = []int64{}
		for _, d := range o.list("shape") {
			x, err := specInt(d)
			if err != nil {
				return f, err
			}
			f.shape = append(f.shape, x)
		}
	}
	if o.has("dtype") {
		name, _ := o.str("dtype")
		dt, ok := ParseDType(name)
		if !ok {
			return f, fmt.Errorf("unknown dtype %q", name)
		}
		f.dtype = dt
	}
	typ, typed := o.str("type")
	if !typed { // an untyped list or scalar: passed as decoded, []any of json.Number/bool/string
		f.values = o["values"]
		return f, nil
	}
	if typ == "float16" {
		return f, fmt.Errorf("not applicable: Go has no float16 type")
	}
	flat, shape, err := flatten(o["values"])
	if err != nil {
		return f, err
	}
	if l, ok := o["values"].([]any); ok && len(l) == 0 {
		flat, shape = nil, []int64{0}
	}
	if f.shape == nil {
		f.shape = shape
	}
	if typ == "string" {
		typ = "str"
	}
	f.values, err = typedValues(flat, typ)
	return f, err
}

// buildTensorRequest builds a TF or PyTorch request from a payloads.json encode input.
func buildTensorRequest(in obj) (marshaler, error) {
	if err := in.only("tensor request", "kind", "feeds", "fetches", "signature_name", "debug_level"); err != nil {
		return nil, err
	}
	kind, _ := in.str("kind")
	var feeds []specFeed
	for _, raw := range in.list("feeds") {
		f, err := parseFeed(raw)
		if err != nil {
			return nil, err
		}
		feeds = append(feeds, f)
	}
	switch kind {
	case "tf_request":
		sig, _ := in.str("signature_name")
		r := NewTFRequest(sig)
		for _, f := range feeds {
			r.AddFeedAs(f.name, f.dtype, f.shape, f.values)
		}
		for _, x := range in.list("fetches") {
			s, _ := x.(string)
			r.AddFetch(s)
		}
		return r, nil
	case "torch_request":
		r := NewTorchRequest()
		for _, f := range feeds {
			if f.hasName {
				r.AddNamedInputAs(f.name, f.dtype, f.shape, f.values)
			} else {
				r.AddInputAs(f.index, f.dtype, f.shape, f.values)
			}
		}
		for _, x := range in.list("fetches") {
			n, err := specInt(x)
			if err != nil {
				return nil, err
			}
			r.AddFetch(int32(n))
		}
		if in.has("debug_level") {
			r.SetDebugLevel(int32(in.int("debug_level")))
		}
		return r, nil
	}
	return nil, fmt.Errorf("the Go runner does not understand kind %q", kind)
}

// compareTensor checks a decoded tensor against {dtype, shape, values}.
func compareTensor(name string, got *Tensor, want obj) error {
	if err := want.only("output", "dtype", "shape", "values"); err != nil {
		return err
	}
	if got == nil {
		return fmt.Errorf("output %q missing", name)
	}
	if dt, _ := want.str("dtype"); got.DType.String() != dt {
		return fmt.Errorf("output %q dtype %s, want %s", name, got.DType, dt)
	}
	var shape []int64
	for _, d := range want.list("shape") {
		x, _ := specInt(d)
		shape = append(shape, x)
	}
	if fmt.Sprint(shape) != fmt.Sprint(got.Shape) {
		return fmt.Errorf("output %q shape %v, want %v", name, got.Shape, shape)
	}
	values := want.list("values")
	if got.Len() != len(values) {
		return fmt.Errorf("output %q has %d values, want %d", name, got.Len(), len(values))
	}
	for i, v := range values {
		var ok bool
		switch {
		case got.Float32 != nil:
			f, _ := specFloat(v)
			ok = math.Float32bits(float32(f)) == math.Float32bits(got.Float32[i]) || (math.IsNaN(f) && got.Float32[i] != got.Float32[i])
		case got.Float64 != nil:
			f, _ := specFloat(v)
			ok = f == got.Float64[i] || (math.IsNaN(f) && math.IsNaN(got.Float64[i]))
		case got.Int32 != nil:
			x, _ := specInt(v)
			ok = x == int64(got.Int32[i])
		case got.Int64 != nil:
			x, _ := specInt(v)
			ok = x == got.Int64[i]
		case got.Strings != nil:
			s, _ := v.(string)
			ok = s == base64.StdEncoding.EncodeToString(got.Strings[i])
		case got.Bools != nil:
			b, _ := v.(bool)
			ok = b == got.Bools[i]
		}
		if !ok {
			return fmt.Errorf("output %q value %d differs: want %v", name, i, v)
		}
	}
	return nil
}
