package eas

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// DType is an EAS ArrayDataType (spec/proto).
type DType int32

// The data types. Only FLOAT, DOUBLE, INT32, UINT8, INT16, INT8, UINT16, INT64, STRING and
// BOOL (TensorFlow only) can be sent or received; the others exist in the proto but have no
// value field.
const (
	DTInvalid    DType = 0
	DTFloat      DType = 1
	DTDouble     DType = 2
	DTInt32      DType = 3
	DTUint8      DType = 4
	DTInt16      DType = 5
	DTInt8       DType = 6
	DTString     DType = 7
	DTComplex64  DType = 8
	DTInt64      DType = 9
	DTBool       DType = 10
	DTQint8      DType = 11
	DTQuint8     DType = 12
	DTQint32     DType = 13
	DTBfloat16   DType = 14
	DTQint16     DType = 15
	DTQuint16    DType = 16
	DTUint16     DType = 17
	DTComplex128 DType = 18
	DTHalf       DType = 19
	DTResource   DType = 20
	DTVariant    DType = 21
)

var dtypeNames = []string{"DT_INVALID", "DT_FLOAT", "DT_DOUBLE", "DT_INT32", "DT_UINT8", "DT_INT16",
	"DT_INT8", "DT_STRING", "DT_COMPLEX64", "DT_INT64", "DT_BOOL", "DT_QINT8", "DT_QUINT8", "DT_QINT32",
	"DT_BFLOAT16", "DT_QINT16", "DT_QUINT16", "DT_UINT16", "DT_COMPLEX128", "DT_HALF", "DT_RESOURCE", "DT_VARIANT"}

// String returns the proto name, e.g. "DT_FLOAT".
func (d DType) String() string {
	if d >= 0 && int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return "DType(" + strconv.Itoa(int(d)) + ")"
}

// ParseDType is the inverse of String.
func ParseDType(name string) (DType, bool) {
	for i, n := range dtypeNames {
		if n == name {
			return DType(i), true
		}
	}
	return 0, false
}

// ArrayProto field numbers.
const (
	fieldDType   protowire.Number = 1
	fieldShape   protowire.Number = 2
	fieldFloat   protowire.Number = 3
	fieldDouble  protowire.Number = 4
	fieldInt     protowire.Number = 5
	fieldString  protowire.Number = 6
	fieldInt64   protowire.Number = 7
	fieldBool    protowire.Number = 8
	fieldShapeDm protowire.Number = 1
)

// valueField is the ArrayProto field that carries values of a dtype; 0 when none does.
func valueField(d DType) protowire.Number {
	switch d {
	case DTFloat:
		return fieldFloat
	case DTDouble:
		return fieldDouble
	case DTInt32, DTUint8, DTInt16, DTInt8, DTUint16:
		return fieldInt
	case DTString:
		return fieldString
	case DTInt64:
		return fieldInt64
	case DTBool:
		return fieldBool
	}
	return 0
}

var intRange = map[DType][2]int64{
	DTInt32: {math.MinInt32, math.MaxInt32}, DTUint8: {0, math.MaxUint8}, DTInt16: {math.MinInt16, math.MaxInt16},
	DTInt8: {math.MinInt8, math.MaxInt8}, DTUint16: {0, math.MaxUint16}, DTInt64: {math.MinInt64, math.MaxInt64},
}

// column is a caller's values normalised to one of the wire representations.
type column struct {
	dtype   DType // the natural dtype of the Go slice
	floats  []float32
	doubles []float64
	ints    []int64 // every integer type
	strs    [][]byte
	bools   []bool
	n       int
}

// toColumn accepts the values a feed may hold: a typed slice (shape [len]), a scalar of one of
// those element types (shape []), or an untyped, possibly nested []any (shape from the nesting;
// element types inferred as PAYLOAD-7 says).
func toColumn(values any) (column, []int64, error) {
	vec := func(c column) (column, []int64, error) { return c, []int64{int64(c.n)}, nil }
	switch v := values.(type) {
	case []float32:
		return vec(column{dtype: DTFloat, floats: v, n: len(v)})
	case []float64:
		return vec(column{dtype: DTDouble, doubles: v, n: len(v)})
	case []int32:
		return vec(intColumn(DTInt32, v))
	case []int16:
		return vec(intColumn(DTInt16, v))
	case []int8:
		return vec(intColumn(DTInt8, v))
	case []uint8:
		return vec(intColumn(DTUint8, v))
	case []uint16:
		return vec(intColumn(DTUint16, v))
	case []int64:
		return vec(column{dtype: DTInt64, ints: v, n: len(v)})
	case []int:
		return vec(intColumn(DTInt64, v))
	case []bool:
		return vec(column{dtype: DTBool, bools: v, n: len(v)})
	case []string:
		s := make([][]byte, len(v))
		for i, x := range v {
			s[i] = []byte(x)
		}
		return vec(column{dtype: DTString, strs: s, n: len(v)})
	case [][]byte:
		return vec(column{dtype: DTString, strs: v, n: len(v)})
	case []any:
		return untypedColumn(v)
	case nil:
		return column{}, nil, payloadError("the values are nil; pass a typed slice such as []float32")
	}
	if isScalar(values) {
		c, _, err := untypedColumn([]any{values})
		if err == nil {
			c.dtype = scalarDType(values, c.dtype)
		}
		return c, []int64{}, err
	}
	return column{}, nil, payloadError("values of type %T cannot be sent; use []float32, []float64, []int32, []int16, []int8, []uint8, []uint16, []int64, []int, []bool, []string, [][]byte or an untyped []any", values)
}

func isScalar(v any) bool {
	switch v.(type) {
	case float32, float64, int, int8, int16, int32, int64, uint8, uint16, bool, string, json.Number:
		return true
	}
	return false
}

// scalarDType keeps a typed scalar's own dtype (a float32 scalar is DT_FLOAT, not DT_DOUBLE).
func scalarDType(v any, inferred DType) DType {
	switch v.(type) {
	case float32:
		return DTFloat
	case int32:
		return DTInt32
	case int16:
		return DTInt16
	case int8:
		return DTInt8
	case uint8:
		return DTUint8
	case uint16:
		return DTUint16
	}
	return inferred
}

// flattenAny walks nested []any in row-major order; ragged nesting is a PayloadError.
func flattenAny(v any, flat []any) ([]any, []int64, error) {
	l, ok := v.([]any)
	if !ok {
		return append(flat, v), []int64{}, nil
	}
	var inner []int64
	for i, x := range l {
		var s []int64
		var err error
		if flat, s, err = flattenAny(x, flat); err != nil {
			return nil, nil, err
		}
		if i == 0 {
			inner = s
		} else if !slices.Equal(s, inner) {
			return nil, nil, payloadError("the nested values are ragged (rows of different shapes); make every row the same length")
		}
	}
	if len(l) == 0 {
		inner = nil
	}
	return flat, append([]int64{int64(len(l))}, inner...), nil
}

// untypedColumn infers the dtype of plain values (PAYLOAD-7): all booleans DT_BOOL, all
// integers DT_INT64 (exact), any float DT_DOUBLE, all strings DT_STRING.
func untypedColumn(v []any) (column, []int64, error) {
	flat, shape, err := flattenAny(v, nil)
	if err != nil {
		return column{}, nil, err
	}
	var nBool, nStr, nFloat int
	for _, x := range flat {
		switch y := x.(type) {
		case bool:
			nBool++
		case string, []byte:
			nStr++
		case float32, float64:
			nFloat++
		case json.Number:
			if strings.ContainsAny(string(y), ".eE") {
				nFloat++
			}
		case int, int8, int16, int32, int64, uint8, uint16:
		default:
			return column{}, nil, payloadError("a value of type %T cannot be sent in an untyped list", x)
		}
	}
	n := len(flat)
	switch {
	case n > 0 && nBool == n:
		c := column{dtype: DTBool, bools: make([]bool, n), n: n}
		for i, x := range flat {
			c.bools[i] = x.(bool)
		}
		return c, shape, nil
	case n > 0 && nStr == n:
		c := column{dtype: DTString, strs: make([][]byte, n), n: n}
		for i, x := range flat {
			if b, ok := x.([]byte); ok {
				c.strs[i] = b
			} else {
				c.strs[i] = []byte(x.(string))
			}
		}
		return c, shape, nil
	case nBool > 0 || nStr > 0:
		return column{}, nil, payloadError("the list mixes booleans, strings and numbers; use one kind of value per feed")
	case nFloat > 0 || n == 0:
		c := column{dtype: DTDouble, doubles: make([]float64, n), n: n}
		for i, x := range flat {
			f, err := anyFloat(x)
			if err != nil {
				return column{}, nil, err
			}
			c.doubles[i] = f
		}
		return c, shape, nil
	}
	c := column{dtype: DTInt64, ints: make([]int64, n), n: n}
	for i, x := range flat {
		k, err := anyInt(x)
		if err != nil {
			return column{}, nil, err
		}
		c.ints[i] = k
	}
	return c, shape, nil
}

func anyFloat(x any) (float64, error) {
	switch y := x.(type) {
	case float64:
		return y, nil
	case float32:
		return float64(y), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(y), 64)
		if err != nil {
			return 0, payloadError("%s is not a float64 value", y)
		}
		return f, nil
	}
	k, err := anyInt(x)
	return float64(k), err
}

func anyInt(x any) (int64, error) {
	switch y := x.(type) {
	case json.Number:
		k, err := strconv.ParseInt(string(y), 10, 64)
		if err != nil {
			return 0, payloadError("the integer %s does not fit int64", y)
		}
		return k, nil
	case int:
		return int64(y), nil
	case int8:
		return int64(y), nil
	case int16:
		return int64(y), nil
	case int32:
		return int64(y), nil
	case int64:
		return y, nil
	case uint8:
		return int64(y), nil
	case uint16:
		return int64(y), nil
	}
	return 0, payloadError("a value of type %T is not an integer", x)
}

func intColumn[T int | int8 | int16 | int32 | uint8 | uint16](dt DType, v []T) column {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return column{dtype: dt, ints: out, n: len(v)}
}

// cast converts a column to the declared dtype, refusing lossy conversions.
func (c column) cast(to DType, where string) (column, error) {
	if to == c.dtype {
		return c, nil
	}
	if valueField(to) == 0 {
		return c, payloadError("%s: dtype %s cannot be sent (no value field carries it); use one of DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64, DT_INT16, DT_INT8, DT_UINT8, DT_UINT16, DT_STRING, DT_BOOL", where, to)
	}
	out := column{dtype: to, n: c.n}
	switch {
	case to == DTFloat && (c.doubles != nil || c.ints != nil):
		out.floats = make([]float32, c.n)
		for i := range c.n {
			if c.doubles != nil {
				x := c.doubles[i]
				if !math.IsInf(x, 0) && !math.IsNaN(x) && math.Abs(x) > math.MaxFloat32 {
					return c, payloadError("%s: %g is beyond the range of DT_FLOAT; declare DT_DOUBLE", where, x)
				}
				out.floats[i] = float32(x)
			} else {
				out.floats[i] = float32(c.ints[i])
			}
		}
	case to == DTDouble && (c.floats != nil || c.ints != nil):
		out.doubles = make([]float64, c.n)
		for i := range c.n {
			if c.floats != nil {
				out.doubles[i] = float64(c.floats[i])
			} else {
				out.doubles[i] = float64(c.ints[i])
			}
		}
	case intRange[to] != [2]int64{} && c.ints != nil:
		r := intRange[to]
		for _, x := range c.ints {
			if x < r[0] || x > r[1] {
				return c, payloadError("%s: value %d is out of range for %s; pick a wider dtype", where, x, to)
			}
		}
		out.ints = c.ints
	default:
		return c, payloadError("%s: %s values cannot be sent as %s without losing data; convert them first", where, c.dtype, to)
	}
	return out, nil
}

// feed is one named or positional input, encoded lazily.
type feed struct {
	name  string
	index int
	dtype DType
	shape []int64
	col   column
}

func makeFeed(where string, dtype DType, shape []int64, values any, allowBool bool) (feed, error) {
	col, inferred, err := toColumn(values)
	if err != nil {
		return feed{}, payloadError("%s: %s", where, err.(*Error).Message)
	}
	if shape == nil {
		shape = inferred
	}
	if dtype == DTInvalid {
		dtype = col.dtype
	}
	if col, err = col.cast(dtype, where); err != nil {
		return feed{}, err
	}
	if dtype == DTBool && !allowBool {
		return feed{}, payloadError("%s: PyTorch requests cannot carry DT_BOOL; send the values as []uint8 or []int32", where)
	}
	want := int64(1)
	for _, d := range shape {
		if d < 0 {
			return feed{}, payloadError("%s: shape %v has a negative dimension", where, shape)
		}
		if d != 0 && want > math.MaxInt64/d {
			return feed{}, payloadError("%s: shape %v is too large", where, shape)
		}
		want *= d
	}
	if want != int64(col.n) {
		return feed{}, payloadError("%s: shape %v holds %d values but %d were given; fix the shape or the values", where, shape, want, col.n)
	}
	return feed{dtype: dtype, shape: append([]int64(nil), shape...), col: col}, nil
}

// arraySize is the encoded size of an ArrayProto, so big tensors are written into one
// allocation instead of a growing slice.
func arraySize(f *feed) int {
	n := 1 + protowire.SizeVarint(uint64(f.dtype))
	if len(f.shape) > 0 {
		dims := 0
		for _, d := range f.shape {
			dims += protowire.SizeVarint(uint64(d))
		}
		inner := 1 + protowire.SizeBytes(dims)
		n += 1 + protowire.SizeBytes(inner)
	}
	if f.col.n == 0 {
		return n
	}
	switch valueField(f.dtype) {
	case fieldString:
		for _, s := range f.col.strs {
			n += 1 + protowire.SizeBytes(len(s))
		}
		return n
	case fieldFloat:
		return n + 1 + protowire.SizeBytes(4*len(f.col.floats))
	case fieldDouble:
		return n + 1 + protowire.SizeBytes(8*len(f.col.doubles))
	case fieldBool:
		return n + 1 + protowire.SizeBytes(len(f.col.bools))
	default:
		return n + 1 + protowire.SizeBytes(varintsSize(f.col.ints))
	}
}

func varintsSize(xs []int64) int {
	size := 0
	for _, x := range xs {
		size += protowire.SizeVarint(uint64(x))
	}
	return size
}

// appendArray appends an ArrayProto message body. With blocks, packed float values are not
// copied here but recorded, for assemble to copy once into the final message.
func appendArray(b []byte, f *feed, blocks *[]block) []byte {
	reserve := arraySize(f)
	data := floatBytes(f)
	if blocks != nil && data != nil {
		reserve -= len(data)
	}
	b = slices.Grow(b, reserve)
	b = protowire.AppendTag(b, fieldDType, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(f.dtype))
	if len(f.shape) > 0 {
		dims := 0
		for _, d := range f.shape {
			dims += protowire.SizeVarint(uint64(d))
		}
		b = protowire.AppendTag(b, fieldShape, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(1+protowire.SizeBytes(dims)))
		b = protowire.AppendTag(b, fieldShapeDm, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(dims))
		for _, d := range f.shape {
			b = protowire.AppendVarint(b, uint64(d))
		}
	}
	if f.col.n == 0 {
		return b
	}
	field := valueField(f.dtype)
	if field == fieldString {
		for _, s := range f.col.strs {
			b = protowire.AppendTag(b, fieldString, protowire.BytesType)
			b = protowire.AppendBytes(b, s)
		}
		return b
	}
	b = protowire.AppendTag(b, field, protowire.BytesType)
	if blocks != nil && data != nil {
		b = protowire.AppendVarint(b, uint64(len(data)))
		*blocks = append(*blocks, block{at: len(b), data: data, double: field == fieldDouble})
		return b
	}
	switch field {
	case fieldFloat:
		b = protowire.AppendVarint(b, uint64(4*len(f.col.floats)))
		at := len(b)
		b = b[:at+4*len(f.col.floats)]
		putFloat32s(b[at:], f.col.floats)
	case fieldDouble:
		b = protowire.AppendVarint(b, uint64(8*len(f.col.doubles)))
		at := len(b)
		b = b[:at+8*len(f.col.doubles)]
		putFloat64s(b[at:], f.col.doubles)
	case fieldInt, fieldInt64:
		b = protowire.AppendVarint(b, uint64(varintsSize(f.col.ints)))
		for _, x := range f.col.ints {
			b = protowire.AppendVarint(b, uint64(x))
		}
	case fieldBool:
		b = protowire.AppendVarint(b, uint64(len(f.col.bools)))
		for _, x := range f.col.bools {
			b = protowire.AppendVarint(b, protowire.EncodeBool(x))
		}
	}
	return b
}

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func appendMapEntry(b []byte, num protowire.Number, key string, f *feed, blocks *[]block) []byte {
	value := arraySize(f)
	entry := 1 + protowire.SizeBytes(len(key)) + 1 + protowire.SizeBytes(value)
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(entry))
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, key)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(value))
	return appendArray(b, f, blocks)
}

// TFRequest is a TensorFlow predict request, built with AddFeed and AddFetch and sent with
// (*Client).PredictTF. Mistakes are kept and returned by Marshal (and so by PredictTF).
//
//	req := eas.NewTFRequest("serving_default").
//		AddFeed("x", []int64{2, 3}, []float32{1, 2, 3, 4, 5, 6}).
//		AddFetch("y")
type TFRequest struct {
	signature string
	feeds     []feed
	fetches   []string
	err       error
}

// NewTFRequest starts a request for a signature ("" for the model's default).
func NewTFRequest(signature string) *TFRequest { return &TFRequest{signature: signature} }

// AddFeed adds the input name with row-major values of the given shape. The dtype follows the
// slice type: []float32 DT_FLOAT, []float64 DT_DOUBLE, []int32 DT_INT32, []int16 DT_INT16,
// []int8 DT_INT8, []uint8 DT_UINT8, []uint16 DT_UINT16, []int64 and []int DT_INT64, []bool
// DT_BOOL, []string and [][]byte DT_STRING; an untyped, possibly nested []any (numbers as int,
// float64 or json.Number, bools, strings) infers its dtype and shape. A nil shape takes the
// values' own (a flat slice is a vector, a scalar value 0-d); []int64{} is a 0-d tensor.
// The slice is read when the request is marshalled; do not change it before the call returns.
func (r *TFRequest) AddFeed(name string, shape []int64, values any) *TFRequest {
	return r.AddFeedAs(name, DTInvalid, shape, values)
}

// AddFeedAs is AddFeed with a declared dtype; values are converted to it when no data is lost
// (float64 → DT_FLOAT, ints into a narrower range they fit).
func (r *TFRequest) AddFeedAs(name string, dtype DType, shape []int64, values any) *TFRequest {
	if r.err != nil {
		return r
	}
	for _, f := range r.feeds {
		if f.name == name {
			r.err = payloadError("feed %q is added twice; use one AddFeed per input", name)
			return r
		}
	}
	f, err := makeFeed(fmt.Sprintf("feed %q", name), dtype, shape, values, true)
	if err != nil {
		r.err = err
		return r
	}
	f.name = name
	r.feeds = append(r.feeds, f)
	return r
}

// AddFetch asks for outputs by name (output_filter); none means all outputs.
func (r *TFRequest) AddFetch(names ...string) *TFRequest {
	r.fetches = append(r.fetches, names...)
	return r
}

// Marshal returns the protobuf bytes, or the first mistake made while building.
func (r *TFRequest) Marshal() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	var b []byte
	var blocks []block
	if r.signature != "" {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, r.signature)
	}
	for i := range r.feeds {
		b = appendMapEntry(b, 2, r.feeds[i].name, &r.feeds[i], &blocks)
	}
	for _, name := range r.fetches {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendString(b, name)
	}
	return assemble(b, blocks), nil
}

// TorchRequest is a PyTorch predict request: positional inputs (AddInput), named inputs
// (AddNamedInput) and output indexes (AddFetch). DT_BOOL is not part of the PyTorch proto.
//
//	req := eas.NewTorchRequest().AddInput(0, []int64{1, 3}, []float32{1, 2, 3})
type TorchRequest struct {
	inputs     []feed // by index
	named      []feed
	fetches    []int32
	debugLevel int32
	err        error
}

// NewTorchRequest starts an empty PyTorch request.
func NewTorchRequest() *TorchRequest { return &TorchRequest{} }

// AddInput sets positional input index; gaps before it are sent as empty arrays.
func (r *TorchRequest) AddInput(index int, shape []int64, values any) *TorchRequest {
	return r.AddInputAs(index, DTInvalid, shape, values)
}

// AddInputAs is AddInput with a declared dtype (see TFRequest.AddFeedAs).
func (r *TorchRequest) AddInputAs(index int, dtype DType, shape []int64, values any) *TorchRequest {
	if r.err != nil {
		return r
	}
	if index < 0 || index > 1<<20 {
		r.err = payloadError("input index %d is out of range; use 0 … 1048576", index)
		return r
	}
	for _, f := range r.inputs {
		if f.index == index {
			r.err = payloadError("input %d is added twice; use one AddInput per index", index)
			return r
		}
	}
	f, err := makeFeed(fmt.Sprintf("input %d", index), dtype, shape, values, false)
	if err != nil {
		r.err = err
		return r
	}
	f.index = index
	r.inputs = append(r.inputs, f)
	return r
}

// AddNamedInput adds a named input (map_inputs).
func (r *TorchRequest) AddNamedInput(name string, shape []int64, values any) *TorchRequest {
	return r.AddNamedInputAs(name, DTInvalid, shape, values)
}

// AddNamedInputAs is AddNamedInput with a declared dtype.
func (r *TorchRequest) AddNamedInputAs(name string, dtype DType, shape []int64, values any) *TorchRequest {
	if r.err != nil {
		return r
	}
	for _, f := range r.named {
		if f.name == name {
			r.err = payloadError("input %q is added twice", name)
			return r
		}
	}
	f, err := makeFeed(fmt.Sprintf("input %q", name), dtype, shape, values, false)
	if err != nil {
		r.err = err
		return r
	}
	f.name = name
	r.named = append(r.named, f)
	return r
}

// AddFetch asks for outputs by index (negative counts from the end).
func (r *TorchRequest) AddFetch(indexes ...int32) *TorchRequest {
	r.fetches = append(r.fetches, indexes...)
	return r
}

// SetDebugLevel sets the request's debug_level.
func (r *TorchRequest) SetDebugLevel(level int32) *TorchRequest {
	r.debugLevel = level
	return r
}

// Marshal returns the protobuf bytes, or the first mistake made while building.
func (r *TorchRequest) Marshal() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	var b []byte
	var blocks []block
	count := 0
	for _, f := range r.inputs {
		count = max(count, f.index+1)
	}
	byIndex := make([]*feed, count)
	for i := range r.inputs {
		byIndex[r.inputs[i].index] = &r.inputs[i]
	}
	for _, f := range byIndex {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		if f == nil {
			b = protowire.AppendVarint(b, 0)
			continue
		}
		b = protowire.AppendVarint(b, uint64(arraySize(f)))
		b = appendArray(b, f, &blocks)
	}
	if len(r.fetches) > 0 {
		var packed []byte
		for _, x := range r.fetches {
			packed = protowire.AppendVarint(packed, uint64(int64(x)))
		}
		b = appendMessage(b, 2, packed)
	}
	for i := range r.named {
		b = appendMapEntry(b, 3, r.named[i].name, &r.named[i], &blocks)
	}
	if r.debugLevel != 0 {
		b = protowire.AppendTag(b, 100, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(r.debugLevel)))
	}
	return assemble(b, blocks), nil
}
