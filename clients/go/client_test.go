package eas

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const secretToken = "sk-live-0123456789abcdef"

func newTestClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	t.Setenv("EAS_TOKEN", "")
	t.Setenv("EAS_SERVICE_NAME", "")
	c, err := NewClient(url, secretToken, append([]Option{WithServiceName("demo"), WithRandom(func() float64 { return 0 })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestErrorsIsAndAsAcrossTheHierarchy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Eas-Request-Id", "rid-7")
		w.WriteHeader(450)
		io.WriteString(w, "queue full for "+secretToken)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithMaxRetries(1))
	_, err := c.Predict(context.Background(), []byte("x"))
	if !errors.Is(err, ErrQueueFull) || !errors.Is(err, ErrStatus) || errors.Is(err, ErrServer) || errors.Is(err, ErrTransport) {
		t.Fatalf("kind checks failed for %v", err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%T is not *Error", err)
	}
	if e.Status != 450 || e.RequestID != "rid-7" || e.Attempts != 2 || e.Endpoint != srv.URL+"/api/predict/demo" {
		t.Fatalf("fields: %+v", e)
	}
	if string(e.Body) != "queue full for ***" {
		t.Fatalf("body excerpt %q", e.Body)
	}
	for _, s := range []string{e.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%s", err), fmt.Sprintf("%#v", c), c.String()} {
		if strings.Contains(s, secretToken) {
			t.Fatalf("token shown in %q", s)
		}
	}
}

func TestServerErrorsShareErrServer(t *testing.T) {
	for status, kind := range map[int]error{500: ErrInternalServer, 502: ErrBadGateway, 503: ErrServiceUnavailable, 504: ErrGatewayTimeout, 507: ErrServer} {
		if k := KindForStatus(status); !errors.Is(&Error{Kind: k}, kind) || !errors.Is(&Error{Kind: k}, ErrServer) {
			t.Errorf("%d → %v", status, k)
		}
	}
}

func TestConnectErrorIsTransport(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := newTestClient(t, url, WithMaxRetries(2))
	_, err := c.Predict(context.Background(), nil)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindConnect || e.Attempts != 3 || !errors.Is(err, ErrTransport) {
		t.Fatalf("got %+v", err)
	}
}

func TestConfigErrorsComeFromNewClient(t *testing.T) {
	t.Setenv("EAS_ENDPOINT", "")
	t.Setenv("EAS_TOKEN", "")
	t.Setenv("EAS_SERVICE_NAME", "")
	cases := []struct {
		endpoint, token string
		opts            []Option
		want            string
	}{
		{"", "", nil, "endpoint is empty"},
		{"ftp://h/api/predict/x", "", nil, "scheme"},
		{"http://h:8080", "", nil, "names no service"},
		{"http://h/api/predict/x", "bad token\n", nil, "whitespace"},
		{"http://h/api/predict/x", "", []Option{WithSignature()}, "signed mode needs a token"},
		{"http://h/api/predict/x", "Zq7secretZq7", []Option{WithHeader("Authorization", "x")}, "set from the token"},
		{"http://h/api/predict/x", "", []Option{WithHeader("X-A", "a\r\nb")}, "control or non-ASCII byte"},
		{"http://h/api/predict/x", "", []Option{WithHeader("content-length", "1")}, "written by the HTTP engine"},
		{"http://h/api/predict/x", "", []Option{WithMaxResponseBytes(0)}, "WithNoResponseLimit"},
		{"http://b\u00fccher.example/api/predict/x", "", nil, "IDNA"},
		{"http://h/api/predict/x", "", []Option{WithTimeout(-1)}, "WithTimeout"},
		{"http://h/api/predict/x", "", []Option{WithMaxRetries(-1)}, "WithMaxRetries"},
		{"http://h/api/predict/x", "", []Option{WithRetryErrors("bogus")}, "WithRetryErrors"},
		{"http://h/test", "", []Option{WithDirect()}, "direct mode needs a service"},
		{"http://h/api/predict/x", "", []Option{WithHTTPClient(nil)}, "WithHTTPClient"},
		{"http://h/api/predict/x", "", []Option{WithUserAgent("app\r\nX-Evil: 1")}, "WithUserAgent"},
		{"http://h/api/predict/x", "", []Option{WithUserAgent("")}, "WithUserAgent"},
	}
	for _, tc := range cases {
		_, err := NewClient(tc.endpoint, tc.token, tc.opts...)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewClient(%q): %v, want ConfigError mentioning %q", tc.endpoint, err, tc.want)
		}
		if err != nil && tc.token != "" && strings.Contains(err.Error(), tc.token) {
			t.Errorf("token in %v", err)
		}
	}
}

func TestEnvironmentFallbacks(t *testing.T) {
	var got http.Header
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, path = r.Header.Clone(), r.URL.Path
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	t.Setenv("EAS_ENDPOINT", srv.URL)
	t.Setenv("EAS_TOKEN", "env-token")
	t.Setenv("EAS_SERVICE_NAME", "envsvc")
	c, err := NewClient("", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Predict(context.Background(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got.Get("Authorization") != "env-token" || path != "/api/predict/envsvc" {
		t.Fatalf("auth %q path %q", got.Get("Authorization"), path)
	}
}

func TestBadInputIsAnErrorNotAPanic(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:9")
	//lint:ignore SA1012 a nil context is the bad input under test
	if _, err := c.Do(nil, &Request{}); !errors.Is(err, ErrConfig) { //nolint:staticcheck
		t.Errorf("nil ctx: %v", err)
	}
	res := c.PredictMany(context.Background(), [][]byte{{1}, {2}}, -1)
	if len(res) != 2 || !errors.Is(res[0].Err, ErrConfig) || !errors.Is(res[1].Err, ErrConfig) {
		t.Errorf("negative concurrency: %+v", res)
	}
	if _, err := NewTFRequest("").AddFeed("x", []int64{2, 2}, []float32{1, 2, 3}).Marshal(); !errors.Is(err, ErrPayload) {
		t.Errorf("shape mismatch: %v", err)
	}
	if _, err := DecodeTFResponse([]byte{0xff, 0xff, 0xff}); !errors.Is(err, ErrPayload) {
		t.Errorf("bad protobuf: %v", err)
	}
	if _, err := c.PredictTF(context.Background(), nil); !errors.Is(err, ErrPayload) {
		t.Errorf("nil request: %v", err)
	}
	if _, err := c.Do(context.Background(), &Request{Path: "a?b"}); !errors.Is(err, ErrConfig) {
		t.Errorf("sub-path with ?: %v", err)
	}
}

func TestNoRedirectsAndGzipDecoded(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/api/predict/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		io.WriteString(gz, "unzipped")
		gz.Close()
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	out, err := c.Predict(context.Background(), nil)
	if err != nil || string(out) != "unzipped" {
		t.Fatalf("gzip: %q %v", out, err)
	}
	r, err := NewClient(srv.URL+"/api/predict/redirect", "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Predict(context.Background(), nil)
	var e *Error
	if !errors.As(err, &e) || e.Status != 302 || hits.Load() != 2 {
		t.Fatalf("redirect followed? %v hits=%d", err, hits.Load())
	}
}

func TestContextDeadlineBoundsAttemptsAndSleeps(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "20")
		w.WriteHeader(503)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Predict(ctx, nil)
	if _, isEAS := asError(err); isEAS || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's error", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("the 20 s Retry-After outlived the context: %v", time.Since(start))
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	c2 := newTestClient(t, slow.URL)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	start = time.Now()
	if _, err := c2.Predict(ctx2, nil); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("slow attempt: %v after %v", err, time.Since(start))
	}
}

func TestCanceledContext(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:9")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Predict(ctx, nil); errors.Is(err, ErrEAS) || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func TestPredictManyOrderAndConcurrencyLimit(t *testing.T) {
	var inFlight, peak atomic.Int32
	var conns sync.Map
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		inFlight.Add(-1)
		body, _ := io.ReadAll(r.Body)
		if bytes.Equal(body, []byte("bad")) {
			w.WriteHeader(400)
			return
		}
		w.Write(bytes.ToUpper(body))
	}))
	srv.Config.ConnState = func(c netConn, s http.ConnState) {
		if s == http.StateNew {
			conns.Store(c.RemoteAddr().String(), true)
		}
	}
	srv.Start()
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	inputs := make([][]byte, 300)
	for i := range inputs {
		inputs[i] = []byte(fmt.Sprintf("in-%03d", i))
	}
	inputs[7] = []byte("bad")
	res := c.PredictMany(context.Background(), inputs, 8)
	for i, r := range res {
		if i == 7 {
			if !errors.Is(r.Err, ErrBadRequest) {
				t.Fatalf("result 7: %v", r.Err)
			}
			continue
		}
		if r.Err != nil || string(r.Body) != strings.ToUpper(string(inputs[i])) {
			t.Fatalf("result %d: %q %v", i, r.Body, r.Err)
		}
	}
	if p := peak.Load(); p > 8 || p < 2 {
		t.Fatalf("peak in flight %d, want 2..8", p)
	}
	n := 0
	conns.Range(func(any, any) bool { n++; return true })
	// Go may finish a spare dial while a request takes a freed connection, so allow a few;
	// a pool of 2 idle connections per host would open one per request here (hundreds).
	if n > 16 {
		t.Fatalf("%d connections for 300 calls at concurrency 8: the pool is reconnecting", n)
	}
	if _, err := c.PredictAll(context.Background(), inputs, 4); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("PredictAll: %v", err)
	}
}

func TestLoggerSeesAttemptsNeverTheToken(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&buf, &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithLogger(logger), WithSignature())
	if _, err := c.Predict(context.Background(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if strings.Count(out, "eas attempt") != 2 || !strings.Contains(out, "status=503") || !strings.Contains(out, "attempt=2") {
		t.Fatalf("log:\n%s", out)
	}
	if strings.Contains(out, secretToken) {
		t.Fatalf("token logged:\n%s", out)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestSignedDateIsRealGMT(t *testing.T) {
	var date string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { date = r.Header.Get("Date") }))
	defer srv.Close()
	fixed := time.Date(2026, 1, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	c := newTestClient(t, srv.URL, WithSignature(), WithClock(func() time.Time { return fixed }))
	if _, err := c.Predict(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if date != "Thu, 01 Jan 2026 00:00:00 GMT" {
		t.Fatalf("Date %q", date)
	}
}

func TestCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/servicediscovery/") {
			fmt.Fprintf(w, `{"endpoints":{"items":[{"ip":"127.0.0.1","port":%s,"weight":1}]}}`, r.Host[strings.LastIndex(r.Host, ":")+1:])
			return
		}
		io.WriteString(w, "ok")
	}))
	for i := 0; i < 3; i++ {
		c, err := NewClient(srv.URL, "tok", WithServiceName("demo"), WithDirect(), WithDiscoveryRefresh(0))
		if err != nil {
			t.Fatal(err)
		}
		c.PredictMany(context.Background(), [][]byte{{1}, {2}, {3}, {4}}, 4)
		c.Close()
		if _, err := c.Predict(context.Background(), nil); !errors.Is(err, ErrConfig) {
			t.Fatalf("call after Close: %v", err)
		}
	}
	srv.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestUserAgentIsAppendedOnTheWireAndToDiscovery(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Header.Get("User-Agent"))
		mu.Unlock()
		if r.Method == http.MethodGet {
			host, port, _ := net.SplitHostPort(r.Host)
			fmt.Fprintf(w, `{"endpoints":{"items":[{"ip":%q,"port":%s}]}}`, host, port)
		}
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, "", WithServiceName("demo"), WithDirect(), WithUserAgent("my-app/1.2 (batch)"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Predict(context.Background(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	ua := defaultUserAgent() + " my-app/1.2 (batch)"
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"GET " + ua, "POST " + ua}; !slices.Equal(seen, want) {
		t.Fatalf("server saw %q, want %q", seen, want)
	}
}

func TestCallerHeaderMapsAreNotModified(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	h := map[string]string{"x-trace": "1"}
	if _, err := c.Do(context.Background(), &Request{Header: h}); err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h["x-trace"] != "1" {
		t.Fatalf("caller map changed: %v", h)
	}
}

func TestWithHTTPClientIsUsedAndLeftOpen(t *testing.T) {
	var seen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := newTestClient(t, srv.URL, WithHTTPClient(hc))
	if out, err := c.Predict(context.Background(), nil); err != nil || string(out) != "ok" || seen.Load() != 1 {
		t.Fatalf("%q %v seen=%d", out, err, seen.Load())
	}
	c.Close()
	if resp, err := hc.Get(srv.URL); err != nil {
		t.Fatalf("the caller's client was closed: %v", err)
	} else {
		resp.Body.Close()
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestPredictManyCancelledContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newTestClient(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	res := c.PredictMany(ctx, make([][]byte, 20), 2)
	for i, r := range res {
		if !errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, ErrEAS) {
			t.Fatalf("result %d: %v, want the context's error", i, r.Err)
		}
	}
}
