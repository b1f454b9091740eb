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
		copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(&src[0])), 4*len(src)))
		for i, x := range src {
			if x != x {
				binary.LittleEndian.PutUint32(dst[4*i:], nan32)
			}
		}
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
		copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(&src[0])), 8*len(src)))
		for i, x := range src {
			if x != x {
				binary.LittleEndian.PutUint64(dst[8*i:], nan64)
			}
		}
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
