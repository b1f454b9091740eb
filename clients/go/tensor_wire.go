package eas

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// The packed float fields are little-endian IEEE 754, which is the memory layout of Go floats
// on little-endian machines: there a tensor is copied as one block (memcpy speed), elsewhere
// converted value by value.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Quiet NaNs without payload bits, as PAYLOAD-6 fixes them.
const (
	nan32 = 0x7fc00000
	nan64 = 0x7ff8000000000000
)

func putFloat32s(dst []byte, src []float32) {
	if littleEndian && len(src) > 0 {
		copyQuiet(dst[:4*len(src)], unsafe.Slice((*byte)(unsafe.Pointer(&src[0])), 4*len(src)), false)
		return
	}
	for i, x := range src {
		bits := math.Float32bits(x)
		if x != x {
			bits = nan32
		}
		binary.LittleEndian.PutUint32(dst[4*i:], bits)
	}
}

func putFloat64s(dst []byte, src []float64) {
	if littleEndian && len(src) > 0 {
		copyQuiet(dst[:8*len(src)], unsafe.Slice((*byte)(unsafe.Pointer(&src[0])), 8*len(src)), true)
		return
	}
	for i, x := range src {
		bits := math.Float64bits(x)
		if x != x {
			bits = nan64
		}
		binary.LittleEndian.PutUint64(dst[8*i:], bits)
	}
}

// appendFloat32s appends the values packed in src (whose length is a multiple of 4).
func appendFloat32s(dst []float32, src []byte) []float32 {
	n := len(src) / 4
	at := len(dst)
	dst = append(dst, make([]float32, n)...)
	if littleEndian && n > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[at])), 4*n), src)
		return dst
	}
	for i := range n {
		dst[at+i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
	return dst
}

// appendFloat64s appends the values packed in src (whose length is a multiple of 8).
func appendFloat64s(dst []float64, src []byte) []float64 {
	n := len(src) / 8
	at := len(dst)
	dst = append(dst, make([]float64, n)...)
	if littleEndian && n > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[at])), 8*n), src)
		return dst
	}
	for i := range n {
		dst[at+i] = math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:]))
	}
	return dst
}

// block is a caller's packed float values, to be copied into the message at offset at of the
// encoded bytes (which leave them out).
type block struct {
	at     int
	data   []byte // the caller's values viewed as bytes; never written
	double bool
}

// floatBytes views a float feed's values as their little-endian bytes, on a little-endian
// machine; nil otherwise (the values are then converted one by one).
func floatBytes(f *feed) []byte {
	if !littleEndian {
		return nil
	}
	switch {
	case valueField(f.dtype) == fieldFloat && len(f.col.floats) > 0:
		return unsafe.Slice((*byte)(unsafe.Pointer(&f.col.floats[0])), 4*len(f.col.floats))
	case valueField(f.dtype) == fieldDouble && len(f.col.doubles) > 0:
		return unsafe.Slice((*byte)(unsafe.Pointer(&f.col.doubles[0])), 8*len(f.col.doubles))
	}
	return nil
}

// assemble joins the encoded bytes and the recorded float blocks into the message, in one
// allocation of the exact size. A block is copied in chunks small enough to stay in the L1
// cache, and each chunk is scanned for NaNs (PAYLOAD-6) right after its copy, so the values
// cross memory once: a separate scan after one big copy read all 4 MiB of a 1M-float32 tensor
// back from memory and cost as much as the copy itself.
func assemble(b []byte, blocks []block) []byte {
	if len(blocks) == 0 {
		return b
	}
	total := len(b)
	for _, bl := range blocks {
		total += len(bl.data)
	}
	out := make([]byte, total)
	prev, at := 0, 0
	for _, bl := range blocks {
		at += copy(out[at:], b[prev:bl.at])
		prev = bl.at
		copyQuiet(out[at:at+len(bl.data)], bl.data, bl.double)
		at += len(bl.data)
	}
	copy(out[at:], b[prev:])
	return out
}

// quietChunk is the unit of copyQuiet: a multiple of 64 bytes well inside a 32 KiB L1 cache.
const quietChunk = 16 << 10

// copyQuiet copies packed little-endian floats from src to dst (of the same length) with every
// NaN made the quiet NaN, chunk by chunk so that the scan reads what the copy just wrote.
func copyQuiet(dst, src []byte, double bool) {
	for k := 0; k < len(src); k += quietChunk {
		e := min(k+quietChunk, len(src))
		copy(dst[k:e], src[k:e])
		if double {
			quietNaNs64(dst[k:e])
		} else {
			quietNaNs32(dst[k:e])
		}
	}
}

// quietNaNs32 rewrites every NaN among packed little-endian float32 values to the quiet NaN
// (PAYLOAD-6). It tests two values per 64-bit word: a lane's magnitude plus 0x007fffff carries
// into the lane's top bit exactly when the magnitude is above 0x7f800000, which is a NaN.
func quietNaNs32(b []byte) {
	const (
		magnitude = 0x7fffffff7fffffff
		carry     = 0x007fffff007fffff
		top       = 0x8000000080000000
	)
	i := 0
	for ; i+64 <= len(b); i += 64 {
		w := b[i : i+64 : i+64]
		m := ((binary.LittleEndian.Uint64(w[0:]) & magnitude) + carry) |
			((binary.LittleEndian.Uint64(w[8:]) & magnitude) + carry) |
			((binary.LittleEndian.Uint64(w[16:]) & magnitude) + carry) |
			((binary.LittleEndian.Uint64(w[24:]) & magnitude) + carry) |
			((binary.LittleEndian.Uint64(w[32:]) & magnitude) + carry) |
			((binary.LittleEndian.Uint64(w[40:]) & magnitude) + carry) |
			((binary.LittleEndian.Uint64(w[48:]) & magnitude) + carry) |
			((binary.LittleEndian.Uint64(w[56:]) & magnitude) + carry)
		if m&top != 0 {
			quietNaNs32Slow(w)
		}
	}
	quietNaNs32Slow(b[i:])
}

func quietNaNs32Slow(b []byte) {
	for k := 0; k+4 <= len(b); k += 4 {
		if binary.LittleEndian.Uint32(b[k:])&0x7fffffff > 0x7f800000 {
			binary.LittleEndian.PutUint32(b[k:], nan32)
		}
	}
}

// quietNaNs64 rewrites every NaN among packed little-endian float64 values to the quiet NaN.
func quietNaNs64(b []byte) {
	for k := 0; k+8 <= len(b); k += 8 {
		if binary.LittleEndian.Uint64(b[k:])&0x7fffffffffffffff > 0x7ff0000000000000 {
			binary.LittleEndian.PutUint64(b[k:], nan64)
		}
	}
}
