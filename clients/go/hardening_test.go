package eas

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// countingServer starts an HTTP server on 127.0.0.1 that counts the connections it accepted.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// A gzip answer that decodes to 128 MiB stops at a 1 MiB cap: the client reads decoded bytes in
// chunks and allocates about the cap, not the decoded size (LIMIT-1, HTTP-3).
func TestGzipBombStopsAtTheCapWithBoundedMemory(t *testing.T) {
	// 128 gzip members of 1 MiB of zeros each: a gzip reader decodes them as one stream.
	var member bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	_, _ = gz.Write(make([]byte, 1<<20))
	_ = gz.Close()
	packed := bytes.NewBuffer(bytes.Repeat(member.Bytes(), 128))
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", fmt.Sprint(packed.Len()))
		_, _ = w.Write(packed.Bytes())
	})
	c := newTestClient(t, srv.URL, WithMaxResponseBytes(1<<20))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := c.Predict(context.Background(), []byte("x"))
	runtime.ReadMemStats(&after)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindResponseTooLarge || !errors.Is(err, ErrTransport) || e.Attempts != 1 {
		t.Fatalf("got %+v, want a ResponseTooLargeError after 1 attempt", err)
	}
	if !strings.Contains(err.Error(), "1048576-byte cap") || !strings.Contains(err.Error(), "WithMaxResponseBytes") {
		t.Fatalf("the message names neither the cap nor the fix: %v", err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 16<<20 {
		t.Fatalf("reading a capped gzip answer allocated %d MiB", grown>>20)
	}
}

// An answer past the cap is closed unread, so its connection is dropped, and the next call
// dials a new one; an ordinary answer leaves its connection for reuse (LIMIT-1).
func TestTooLargeAnswerDropsItsConnection(t *testing.T) {
	var n atomic.Int32
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			_, _ = w.Write(bytes.Repeat([]byte("a"), 2000))
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	c := newTestClient(t, srv.URL, WithMaxResponseBytes(1000))
	if _, err := c.Predict(context.Background(), []byte("x")); !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("got %v, want ErrResponseTooLarge", err)
	}
	for range 2 {
		if out, err := c.Predict(context.Background(), []byte("x")); err != nil || string(out) != "ok" {
			t.Fatalf("got %q %v", out, err)
		}
	}
	if got := conns.Load(); got != 2 {
		t.Fatalf("%d connections, want 2 (the too-large one closed, the next one reused)", got)
	}
}

// A reused connection that breaks after response bytes arrived is an ordinary attempt outcome,
// not resent (CONN-1); the server sees the warm-up and the one failed request.
func TestBreakAfterResponseBytesOnReusedConnectionIsNotResent(t *testing.T) {
	var n atomic.Int32
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		if n.Add(1) != 2 {
			_, _ = io.WriteString(w, "ok")
			return
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab")
		_ = buf.Flush()
		_ = conn.(*net.TCPConn).SetLinger(0)
		_ = conn.Close()
	})
	c := newTestClient(t, srv.URL, WithMaxRetries(0))
	if _, err := c.Predict(context.Background(), []byte("warm")); err != nil {
		t.Fatal(err)
	}
	_, err := c.Predict(context.Background(), []byte("x"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindRead || e.Attempts != 1 {
		t.Fatalf("got %+v, want a ReadError after 1 attempt", err)
	}
	if got := n.Load(); got != 2 {
		t.Fatalf("the server saw %d requests, want 2 (no resend after response bytes)", got)
	}
}

// A reset of a reused connection is resent once on a new connection, which is not kept: the
// server sees three connections for warm-up, reset and resend (CONN-1).
func TestResendGoesOutOnAFreshConnection(t *testing.T) {
	var n atomic.Int32
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		if n.Add(1) == 2 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.(*net.TCPConn).SetLinger(0)
				_ = conn.Close()
			}
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	c := newTestClient(t, srv.URL, WithMaxRetries(0), WithSignature())
	for i := range 2 {
		resp, err := c.Do(context.Background(), &Request{Body: Bytes([]byte("x"))})
		if err != nil || resp.Attempts != 1 {
			t.Fatalf("call %d: %+v %v", i, resp, err)
		}
	}
	if n.Load() != 3 || conns.Load() != 2 {
		t.Fatalf("%d requests on %d connections, want 3 on 2", n.Load(), conns.Load())
	}
}

// A transport error keeps the errno for errors.Is, but not the engine's error values, which
// may hold request data (SEC-4).
func TestTransportCauseIsDataFree(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := newTestClient(t, "http://"+addr, WithMaxRetries(0))
	_, err = c.Predict(context.Background(), []byte("x"))
	if !errors.Is(err, ErrConnect) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("got %v, want a ConnectError wrapping ECONNREFUSED", err)
	}
	var ue *url.Error
	var oe *net.OpError
	if errors.As(err, &ue) || errors.As(err, &oe) {
		t.Fatalf("the error chain holds an engine error: %#v", err)
	}
	var cause *Cause
	if !errors.As(err, &cause) || !strings.Contains(cause.Text, "refused") {
		t.Fatalf("the cause %v does not describe the failure", cause)
	}
}

// Header checks run before any I/O, for client-wide and per-call headers (HDR-4, HDR-5).
func TestRefusedHeadersNeverReachTheWire(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	c := newTestClient(t, srv.URL)
	for _, h := range []map[string]string{
		{"Host": "evil.example"}, {"Transfer-Encoding": "chunked"}, {"X-T": "a\nX-Evil: 1"}, {"X-T": "caf\u00e9"},
	} {
		_, err := c.Do(context.Background(), &Request{Header: h})
		if !errors.Is(err, ErrConfig) {
			t.Fatalf("%v: got %v, want a ConfigError", h, err)
		}
	}
	if conns.Load() != 0 {
		t.Fatalf("%d connections made for refused headers", conns.Load())
	}
}

// A peer dripping one byte every 100 ms cannot hold an attempt past its timeout (TIMEOUT-1).
func TestDripCannotOutlastTheTimeout(t *testing.T) {
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		bw := bufio.NewWriter(w)
		for range 100 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			_ = bw.WriteByte('a')
			_ = bw.Flush()
			w.(http.Flusher).Flush()
		}
	})
	c := newTestClient(t, srv.URL, WithTimeout(300*time.Millisecond), WithMaxRetries(0))
	start := time.Now()
	_, err := c.Predict(context.Background(), []byte("x"))
	if took := time.Since(start); !errors.Is(err, ErrReadTimeout) || took > 2*time.Second {
		t.Fatalf("got %v after %v, want a ReadTimeoutError near 300 ms", err, took)
	}
}

// The word-at-a-time NaN scan agrees with a value-by-value one on every position of a large
// tensor, leaves infinities and the caller's slice alone, and the encoded message matches a
// byte-by-byte encoding (PAYLOAD-6).
func TestQuietNaNScanOnLargeTensors(t *testing.T) {
	specials := []uint32{0x7f800000, 0xff800000, 0x7f800001, 0xffc00001, 0x7fffffff, 0x7f7fffff, 0x80000000, 0x7fc00000}
	v := make([]float32, 1037)
	for i := range v {
		v[i] = float32(i) - 500
	}
	for k, bits := range specials {
		for _, at := range []int{k, 15 + k, 16 + 64*k, 1036 - k} {
			v[at] = math.Float32frombits(bits)
		}
	}
	orig := append([]float32(nil), v...)
	got, err := NewTFRequest("").AddFeed("x", nil, v).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 4*len(v))
	for i, x := range v {
		bits := math.Float32bits(x)
		if x != x {
			bits = nan32
		}
		binary.LittleEndian.PutUint32(want[4*i:], bits)
	}
	if !bytes.Contains(got, want) {
		t.Fatal("the encoded values differ from a value-by-value encoding")
	}
	for i := range v {
		if math.Float32bits(v[i]) != math.Float32bits(orig[i]) {
			t.Fatalf("the caller's value %d changed", i)
		}
	}
	d := []float64{1, math.NaN(), math.Inf(1), math.Float64frombits(0xfff0000000000001)}
	gotD, _ := NewTFRequest("").AddFeed("y", nil, d).Marshal()
	wantD := make([]byte, 32)
	for i, bits := range []uint64{math.Float64bits(1), nan64, math.Float64bits(math.Inf(1)), nan64} {
		binary.LittleEndian.PutUint64(wantD[8*i:], bits)
	}
	if !bytes.Contains(gotD, wantD) {
		t.Fatal("float64 NaNs are not the quiet NaN")
	}
}

// The chunked copy that encodes big float tensors quiets NaNs on both sides of every chunk
// boundary, in each of two feeds, and leaves nothing else out or doubled (PAYLOAD-6).
func TestQuietNaNsAcrossCopyChunks(t *testing.T) {
	per := quietChunk / 4
	v := make([]float32, 3*per+5)
	for i := range v {
		v[i] = float32(i)
	}
	for _, at := range []int{0, per - 1, per, 2*per - 1, 2 * per, 3*per + 4} {
		v[at] = math.Float32frombits(0x7f800001 + uint32(at))
	}
	d := make([]float64, per/2+3)
	for i := range d {
		d[i] = float64(i)
	}
	for _, at := range []int{per/2 - 1, per / 2, per/2 + 2} {
		d[at] = math.Float64frombits(0xfff0000000000001 + uint64(at))
	}
	got, err := NewTFRequest("sig").AddFeed("x", nil, v).AddFeed("y", nil, d).AddFetch("z").Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want32 := make([]byte, 4*len(v))
	for i, x := range v {
		bits := math.Float32bits(x)
		if x != x {
			bits = nan32
		}
		binary.LittleEndian.PutUint32(want32[4*i:], bits)
	}
	want64 := make([]byte, 8*len(d))
	for i, x := range d {
		bits := math.Float64bits(x)
		if x != x {
			bits = nan64
		}
		binary.LittleEndian.PutUint64(want64[8*i:], bits)
	}
	if !bytes.Contains(got, want32) || !bytes.Contains(got, want64) {
		t.Fatal("the encoded values differ from a value-by-value encoding")
	}
	if !bytes.HasSuffix(got, []byte{0x1a, 1, 'z'}) {
		t.Fatalf("the message does not end with its fetch: % x", got[len(got)-8:])
	}
	// 3 (signature) + 3 (fetch) + two map entries: their framing is a few dozen bytes at most.
	if extra := len(got) - len(want32) - len(want64); extra < 6 || extra > 64 {
		t.Fatalf("%d bytes besides the values", extra)
	}
}

// A stale list is refreshed in the background (DISC-6): the call that notices does not wait for
// a slow discovery answer, and Close waits for the refresh it started.
func TestRefreshDoesNotHoldTheCall(t *testing.T) {
	var fetches atomic.Int32
	release := make(chan struct{})
	refreshing := make(chan struct{}, 8) // one send per held refresh request
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/servicediscovery/") {
			if fetches.Add(1) > 1 {
				refreshing <- struct{}{}
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}
			fmt.Fprintf(w, `{"endpoints":{"items":[{"ip":"127.0.0.1","port":%s,"weight":1}]}}`, r.Host[strings.LastIndex(r.Host, ":")+1:])
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	defer close(release)
	t.Setenv("EAS_TOKEN", "")
	c, err := NewClient(srv.URL, "", WithServiceName("demo"), WithDirect(), WithDiscoveryRefresh(time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		start := time.Now()
		if out, err := c.Predict(context.Background(), []byte("x")); err != nil || string(out) != "ok" {
			t.Fatalf("call %d: %q %v", i, out, err)
		}
		if took := time.Since(start); took > time.Second {
			t.Fatalf("call %d waited %v for the refresh", i, took)
		}
	}
	// The refresh goroutine may not have reached the server yet when the calls return.
	select {
	case <-refreshing:
	case <-time.After(5 * time.Second):
		t.Fatal("no refresh reached the discovery server")
	}
	if n := fetches.Load(); n != 2 {
		t.Fatalf("%d discovery requests, want 2 (the first fetch and one refresh under way)", n)
	}
	c.Close() // cancels the held refresh and waits for it
}
