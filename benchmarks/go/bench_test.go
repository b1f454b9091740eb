// Package bench compares the Go client with a raw net/http loop that sends the same headers,
// against a fixed-reply HTTP/1.1 server on 127.0.0.1, and times tensor encode/decode against a
// plain copy.
//
// make bench-go (python -m benchmarks.go_bench) runs it against the shared nginx target of the
// Python sections, named by EAS_BENCH_URL, with client and nginx pinned to different cores. Without
// EAS_BENCH_URL (plain go test -run '^$' -bench . -benchmem) each benchmark starts an in-process
// fixed-reply server, and cpu-us/call then includes that server's share.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	eas "github.com/eas-client/eas-client/clients/go"
)

// fixedReplyServer answers every request with 200 "True", keep-alive, and as little work as
// possible so the client's cost dominates.
func fixedReplyServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	b.Cleanup(func() { ln.Close(); wg.Wait() })
	reply := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nTrue")
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				r := bufio.NewReaderSize(conn, 16<<10)
				for {
					n := 0
					for {
						line, err := r.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
						if len(line) > 16 && strings.EqualFold(string(line[:15]), "content-length:") {
							n, _ = strconv.Atoi(strings.TrimSpace(string(line[15:])))
						}
					}
					if _, err := r.Discard(n); err != nil {
						return
					}
					if _, err := conn.Write(reply); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// targetURL is the service URL every request of a benchmark goes to.
func targetURL(b *testing.B) string {
	if u := os.Getenv("EAS_BENCH_URL"); u != "" {
		return u
	}
	return fixedReplyServer(b) + "/api/predict/demo"
}

var body = []byte("2 105")

// processCPU is the user+system CPU time of this process (the client, plus the in-process server
// when there is no EAS_BENCH_URL).
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the process CPU µs per call; an in-process server's share is the same in every row.
func reportCPU(b *testing.B, start time.Duration, calls int) {
	b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(calls), "cpu-us/call")
}

func newClient(b *testing.B, url string) *eas.Client {
	c, err := eas.NewClient(url, "bench-token-0123456789")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// rawClient is what a careful hand-written caller would use: a tuned transport, no redirects.
func rawClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
			TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
			DisableCompression:  true, // as the client: no Accept-Encoding, so both send the same headers
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// rawUserAgent has the length and form of the client's own, so both send the same header bytes.
var rawUserAgent = fmt.Sprintf("eas-client-go/%s (%s; %s/%s)", eas.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)

func rawCall(ctx context.Context, hc *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", rawUserAgent)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "bench-token-0123456789")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func BenchmarkPredict(b *testing.B) {
	c := newClient(b, targetURL(b))
	ctx := context.Background()
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if _, err := c.Predict(ctx, body); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu, b.N)
}

func BenchmarkRawNetHTTP(b *testing.B) {
	url := targetURL(b)
	hc := rawClient()
	ctx := context.Background()
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if _, err := rawCall(ctx, hc, url); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu, b.N)
}

const batchConcurrency = 32

func BenchmarkPredictMany32(b *testing.B) {
	c := newClient(b, targetURL(b))
	inputs := make([][]byte, 1024)
	for i := range inputs {
		inputs[i] = body
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		for _, r := range c.PredictMany(context.Background(), inputs, batchConcurrency) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(inputs))/b.Elapsed().Seconds(), "calls/s")
	reportCPU(b, cpu, b.N*1024)
}

func BenchmarkRawPool32(b *testing.B) {
	url := targetURL(b)
	hc := rawClient()
	const n = 1024
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		var wg sync.WaitGroup
		next := make(chan int, n)
		for i := range n {
			next <- i
		}
		close(next)
		for range batchConcurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range next {
					if _, err := rawCall(context.Background(), hc, url); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "calls/s")
	reportCPU(b, cpu, b.N*1024)
}

const million = 1 << 20

func floats() []float32 {
	v := make([]float32, million)
	for i := range v {
		v[i] = float32(i) * 0.5
	}
	return v
}

func BenchmarkTFEncode1M(b *testing.B) {
	v := floats()
	b.SetBytes(4 * million)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := eas.NewTFRequest("").AddFeed("x", []int64{million}, v).Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTFDecode1M(b *testing.B) {
	req, _ := eas.NewTFRequest("").AddFeed("x", []int64{million}, floats()).Marshal()
	// A response has the same map at field 1 where a request has it at field 2.
	resp := append([]byte{0x0a}, req[1:]...)
	b.SetBytes(4 * million)
	b.ReportAllocs()
	for b.Loop() {
		out, err := eas.DecodeTFResponse(resp)
		if err != nil || len(out.Outputs["x"].Float32) != million {
			b.Fatal(err)
		}
	}
}

func BenchmarkCopy1M(b *testing.B) {
	src := make([]byte, 4*million)
	b.SetBytes(4 * million)
	b.ReportAllocs()
	for b.Loop() {
		dst := make([]byte, len(src))
		copy(dst, src)
	}
}
