package bench

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	eas "github.com/eas-client/eas-client/clients/go"
)

// sseEvents is how many small events one benchmark operation reads, as issue #17 asks.
const sseEvents = 200_000

// sseBody is a stream of small OpenAI-style token events, as an LLM service sends them.
var sseBody = func() []byte {
	var b bytes.Buffer
	for i := range sseEvents {
		b.WriteString(`data: {"choices":[{"index":0,"delta":{"content":"tok`)
		b.WriteString(strconv.Itoa(i % 1000))
		b.WriteString(`"}}]}` + "\n\n")
	}
	return b.Bytes()
}()

// BenchmarkSSEParse reads every event of the stream with the client's parser (STREAM-8).
func BenchmarkSSEParse(b *testing.B) {
	b.SetBytes(int64(len(sseBody)))
	b.ReportAllocs()
	for b.Loop() {
		r := eas.NewSSEReader(bytes.NewReader(sseBody))
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != sseEvents {
			b.Fatalf("%d events", n)
		}
	}
	b.ReportMetric(float64(b.N*sseEvents)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRawLineReader is the floor: a bufio line loop that only splits at LF and counts
// the data lines, with no field parsing, CR handling, UTF-8 or length checks.
func BenchmarkRawLineReader(b *testing.B) {
	b.SetBytes(int64(len(sseBody)))
	b.ReportAllocs()
	for b.Loop() {
		if n := rawLines(bytes.NewReader(sseBody)); n != sseEvents {
			b.Fatalf("%d data lines", n)
		}
	}
	b.ReportMetric(float64(b.N*sseEvents)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRawLineStrings is the raw loop keeping each data line's value as a string: the
// least any reader that hands events to a caller must do (one allocation per event).
func BenchmarkRawLineStrings(b *testing.B) {
	b.SetBytes(int64(len(sseBody)))
	b.ReportAllocs()
	var last string
	for b.Loop() {
		br := bufio.NewReaderSize(bytes.NewReader(sseBody), 64<<10)
		n := 0
		for {
			line, err := br.ReadSlice('\n')
			if bytes.HasPrefix(line, []byte("data: ")) {
				last = string(line[6 : len(line)-1])
				n++
			}
			if err != nil {
				break
			}
		}
		if n != sseEvents {
			b.Fatalf("%d data lines", n)
		}
	}
	_ = last
	b.ReportMetric(float64(b.N*sseEvents)/b.Elapsed().Seconds(), "events/s")
}

func rawLines(r io.Reader) int {
	br := bufio.NewReaderSize(r, 64<<10)
	n := 0
	for {
		line, err := br.ReadSlice('\n')
		if bytes.HasPrefix(line, []byte("data: ")) {
			n++
		}
		if err != nil {
			return n
		}
	}
}

// sseServer streams sseBody chunked, in pieces of 16 KiB, from an in-process server.
func sseServer(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for rest := sseBody; len(rest) > 0; {
			n := min(len(rest), 16<<10)
			if _, err := w.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
		}
	}))
	b.Cleanup(srv.Close)
	return srv.URL + "/api/predict/llm"
}

// BenchmarkStreamEvents is Client.Stream read with Next over a local HTTP stream.
func BenchmarkStreamEvents(b *testing.B) {
	c := newClient(b, sseServer(b))
	b.SetBytes(int64(len(sseBody)))
	b.ReportAllocs()
	for b.Loop() {
		s, err := c.Stream(context.Background(), &eas.Request{Body: eas.Bytes(body)})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for s.Next() {
			n++
		}
		if s.Err() != nil || n != sseEvents {
			b.Fatalf("%d events, %v", n, s.Err())
		}
		s.Close()
	}
	b.ReportMetric(float64(b.N*sseEvents)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRawStreamLines is the same stream through raw net/http and the bufio line loop.
func BenchmarkRawStreamLines(b *testing.B) {
	url := sseServer(b)
	hc := rawClient()
	b.SetBytes(int64(len(sseBody)))
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Accept", "text/event-stream")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if n := rawLines(resp.Body); n != sseEvents {
			b.Fatalf("%d data lines", n)
		}
		resp.Body.Close()
	}
	b.ReportMetric(float64(b.N*sseEvents)/b.Elapsed().Seconds(), "events/s")
}
