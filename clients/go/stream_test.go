package eas

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func chunk(content, finish string) string {
	f := "null"
	if finish != "" {
		f = `"` + finish + `"`
	}
	return fmt.Sprintf(`data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":%q},"finish_reason":%s}]}`+"\n\n", content, f)
}

func TestChatStreamOverTheWire(t *testing.T) {
	var body, accept, path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body, accept, path = string(b), r.Header.Get("Accept"), r.URL.Path
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		for _, s := range []string{chunk("Hel", ""), ": keep-alive\n\n", chunk("lo", "stop"),
			`data: {"choices":[],"usage":{"total_tokens":5}}` + "\n\n", "data: [DONE]\n\n", "data: ignored\n\n"} {
			io.WriteString(w, s)
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	cs, err := c.ChatStream(context.Background(), &ChatRequest{Model: "qwen",
		Messages: []any{map[string]string{"role": "user", "content": "Hi"}}, Params: []ChatParam{{"temperature", 0.5}}})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	var text []string
	for cs.Next() {
		text = append(text, cs.Delta())
	}
	if cs.Err() != nil || strings.Join(text, "|") != "Hel|lo" || cs.FinishReason() != "stop" || cs.Usage()["total_tokens"] != float64(5) {
		t.Fatalf("deltas %q finish %q usage %v err %v", text, cs.FinishReason(), cs.Usage(), cs.Err())
	}
	wantBody := `{"model":"qwen","messages":[{"content":"Hi","role":"user"}],"stream":true,"stream_options":{"include_usage":true},"temperature":0.5}`
	if body != wantBody || accept != "text/event-stream" || path != "/api/predict/demo/v1/chat/completions" {
		t.Fatalf("sent %s %q %s", path, accept, body)
	}
}

func TestChatNonStreamOverTheWire(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "application/json" {
			w.WriteHeader(400)
			return
		}
		io.WriteString(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"total_tokens":3}}`)
	}))
	defer srv.Close()
	resp, err := newTestClient(t, srv.URL).Chat(context.Background(), &ChatRequest{Messages: []any{map[string]string{"role": "user", "content": "Hi"}}})
	if err != nil || resp.Text != "Hello" || resp.FinishReason != "stop" || resp.Usage["total_tokens"] != float64(3) {
		t.Fatalf("%+v %v", resp, err)
	}
}

// A cancelled context ends the stream with the context's error (not an EAS error), closes the
// connection (the server sees its request end) and leaves no goroutine of the client behind.
func TestStreamCancelClosesTheConnection(t *testing.T) {
	gone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(gone)
	}))
	defer srv.Close()
	before := runtime.NumGoroutine()
	c := newTestClient(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := c.Stream(ctx, &Request{Body: Text("hi")})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Next() || s.Event().Data != "first" {
		t.Fatalf("first event: %v", s.Err())
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	if s.Next() {
		t.Fatal("an event after the cancellation")
	}
	if err := s.Err(); !errors.Is(err, context.Canceled) || errors.Is(err, ErrEAS) {
		t.Fatalf("want the context's error, got %v", err)
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("the server's request did not end: the connection stayed open")
	}
	s.Close()
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Close, %d before", n, before)
	}
}

func TestStreamIsReadOneWay(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: a\n\n")
	}))
	defer srv.Close()
	s, err := newTestClient(t, srv.URL).Stream(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.NextLine() || s.Line() != "data: a" {
		t.Fatalf("line %q %v", s.Line(), s.Err())
	}
	if s.Next() || s.Err() == nil || errors.Is(s.Err(), ErrEAS) || !strings.Contains(s.Err().Error(), "read one way") {
		t.Fatalf("a second reading: %v", s.Err())
	}
	if _, err := s.Read(make([]byte, 8)); err == nil {
		t.Fatal("Read after NextLine worked")
	}
}

// Reading a long stream holds one pending line, not the body, and as events only a bounded
// tail of them for a StreamError (STREAM-9, STREAM-10).
func TestStreamMemoryStaysFlat(t *testing.T) {
	const total = 64 << 20
	line := "data: " + strings.Repeat("x", 1016) + "\n\n" // 1 KiB per event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		block := strings.Repeat(line, 64)
		for sent := 0; sent < total; sent += len(block) {
			if _, err := io.WriteString(w, block); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	for _, events := range []bool{false, true} {
		s, err := newTestClient(t, srv.URL).Stream(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base, peak := ms.HeapAlloc, uint64(0)
		n := 0
		next := s.NextLine
		if events {
			next = s.Next
		}
		for next() {
			if n++; n%4096 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
		s.Close()
		want := total / 512 // two lines per event
		if events {
			want = total / 1024
		}
		if s.Err() != nil || n != want || s.BytesReceived() != total {
			t.Fatalf("events %v: %d items, %d bytes, %v", events, n, s.BytesReceived(), s.Err())
		}
		if grew := int64(peak) - int64(base); grew > 16<<20 {
			t.Fatalf("events %v: the heap grew by %d MB while reading a %d MB stream", events, grew>>20, total>>20)
		}
	}
}

// Streams from the local runtime's OpenAI-compatible demo service (examples/llm under eas serve).
func TestStreamFromTheLocalRuntime(t *testing.T) {
	if _, err := os.Stat(filepath.Join("..", "..", "examples", "llm", "app.py")); err != nil {
		t.Skip("examples/llm is not in this tree")
	}
	const token = "llm-runtime-token-go-42"
	rt := startRuntime(t, "examples.llm.app:app", "--service", "llm", "--token", token)
	c, err := NewClient(rt.url, token)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	msgs := []any{map[string]string{"role": "user", "content": "hi"}}

	cs, err := c.ChatStream(ctx, &ChatRequest{Messages: msgs, Params: []ChatParam{{"max_tokens", 4}}})
	if err != nil {
		t.Fatal(err)
	}
	var deltas []string
	for cs.Next() {
		deltas = append(deltas, cs.Delta())
	}
	cs.Close()
	if cs.Err() != nil || len(deltas) == 0 || cs.FinishReason() == "" || cs.Usage() == nil || cs.Status != 200 {
		t.Fatalf("chat: %q finish %q usage %v err %v", deltas, cs.FinishReason(), cs.Usage(), cs.Err())
	}

	// Raw events, closed after the first one: the next call still works (STREAM-6).
	s, err := c.Stream(ctx, &Request{Path: "v1/chat/completions", Body: JSON(map[string]any{"messages": msgs, "stream": true})})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Next() || !isEventStream(s.Header.Get("Content-Type")) {
		t.Fatalf("first event: %v (Content-Type %q)", s.Err(), s.Header.Get("Content-Type"))
	}
	s.Close()
	resp, err := c.Chat(ctx, &ChatRequest{Messages: msgs, Params: []ChatParam{{"max_tokens", 3}}})
	if err != nil || resp.Text == "" {
		t.Fatalf("chat after an early close: %+v %v", resp, err)
	}

	// A wrong token fails before the headers, as Do would (STREAM-2).
	wrong, _ := NewClient(rt.url, "not-the-token-at-all")
	defer wrong.Close()
	if _, err := wrong.Stream(ctx, &Request{Path: "v1/chat/completions", Body: JSON(map[string]any{"messages": msgs, "stream": true})}); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("wrong token: %v", err)
	}
}
