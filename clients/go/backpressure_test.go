package eas

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAdaptiveConcurrencyNegative(t *testing.T) {
	cases := []struct {
		a    AdaptiveConcurrency
		want string
	}{
		{AdaptiveConcurrency{Min: -1}, "min must be an integer >= 1"},
		{AdaptiveConcurrency{Max: -1}, "max must be an integer >= 1"},
		{AdaptiveConcurrency{Min: 4, Max: 2}, "max (2) is below min (4)"},
		{AdaptiveConcurrency{Initial: -1}, "initial must be an integer between min (1) and max (64)"},
		{AdaptiveConcurrency{Backoff: -0.5}, "backoff must be a number in (0, 1)"},
		{AdaptiveConcurrency{Backoff: math.NaN()}, "backoff must be a number in (0, 1)"},
		{AdaptiveConcurrency{LatencyTolerance: 0.5}, "latency_tolerance must be a number > 1"},
		{AdaptiveConcurrency{LatencyTolerance: math.NaN()}, "latency_tolerance must be a number > 1"},
		{AdaptiveConcurrency{MaxPause: -time.Nanosecond}, "max_pause must be a number > 0, got -1ns (0 means the default, 250ms)"},
	}
	for _, tc := range cases {
		_, err := NewClient("http://127.0.0.1:9", "", WithServiceName("demo"), WithAdaptiveConcurrency(tc.a))
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want a ConfigError containing %q", tc.a, err, tc.want)
		}
	}
	if a, err := (AdaptiveConcurrency{}).resolved(); err != nil || a.MaxPause != 250*time.Millisecond {
		t.Errorf("a zero MaxPause resolved to %v, %v; want the default 250ms", a.MaxPause, err)
	}
	for _, b := range []RetryBudget{{Ratio: math.NaN(), MinPerSecond: 1}, {Ratio: 0.1, MinPerSecond: math.Inf(1)}, {Ratio: 0.1, MinPerSecond: math.NaN()}} {
		if _, err := NewClient("http://127.0.0.1:9", "", WithServiceName("demo"), WithRetryBudget(&b)); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want a ConfigError", b, err)
		}
	}
	c := newTestClient(t, "http://127.0.0.1:9")
	for _, n := range []int{0, -1, AutoConcurrency + 1} {
		res := c.PredictMany(context.Background(), [][]byte{{1}}, n)
		if !errors.Is(res[0].Err, ErrConfig) || !strings.Contains(res[0].Err.Error(), "eas.AutoConcurrency") {
			t.Errorf("concurrency %d: %v", n, res[0].Err)
		}
	}
}

// TestRetryBudgetExhausted: with a one-token budget against a failing service the second
// retry is refused, the error keeps its kind and says why, one WARNING is logged, and the
// refusals are counted; a plain failure is not marked.
func TestRetryBudgetExhausted(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(503)
	}))
	defer srv.Close()
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c := newTestClient(t, srv.URL, WithBackoff(0, 0), WithLogger(logger),
		WithRetryBudget(&RetryBudget{Ratio: 0, MinPerSecond: 0.01}))
	_, err := c.Predict(context.Background(), []byte("x"))
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrServiceUnavailable) || !e.BudgetExhausted || e.Attempts != 2 {
		t.Fatalf("first call: %#v", err)
	}
	if !strings.HasSuffix(e.Message, "; retry budget exhausted (retries are limited to 0% of calls + 0.01/s; the service is failing most calls)") {
		t.Fatalf("message %q", e.Message)
	}
	if _, err := c.Predict(context.Background(), []byte("y")); !errors.As(err, &e) || !e.BudgetExhausted || e.Attempts != 1 {
		t.Fatalf("second call: %v", err)
	}
	if got := c.RetryBudgetDenied(); got != 2 {
		t.Fatalf("denied %d, want 2", got)
	}
	if hits.Load() != 3 {
		t.Fatalf("%d requests, want 3", hits.Load())
	}
	logMu.Lock()
	warned := strings.Count(logs.String(), "eas retry budget exhausted")
	logMu.Unlock()
	if warned != 1 {
		t.Fatalf("%d warnings, want 1 (at most one per 10 s):\n%s", warned, logs.String())
	}
	off := newTestClient(t, srv.URL, WithBackoff(0, 0), WithRetryBudget(nil), WithMaxRetries(2))
	if _, err := off.Predict(context.Background(), nil); !errors.As(err, &e) || e.BudgetExhausted || e.Attempts != 3 || off.RetryBudgetDenied() != 0 {
		t.Fatalf("budget off: %v", err)
	}
}

// TestRetryBudgetBoundsAnOutage: many goroutines calling a service that answers 503 to
// everything make at most calls + capacity + ratio × calls + min_per_s × T attempts, far
// below (1 + max_retries) × calls.
func TestRetryBudgetBoundsAnOutage(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(503)
	}))
	defer srv.Close()
	budget := RetryBudget{Ratio: 0.1, MinPerSecond: 1} // capacity 10
	c := newTestClient(t, srv.URL, WithBackoff(0, 0), WithMaxRetries(3), WithRetryBudget(&budget))
	const calls = 400
	start := time.Now()
	inputs := make([][]byte, calls)
	res := c.PredictMany(context.Background(), inputs, 16)
	elapsed := time.Since(start).Seconds()
	for i, r := range res {
		if !errors.Is(r.Err, ErrServiceUnavailable) {
			t.Fatalf("result %d: %v", i, r.Err)
		}
	}
	bound := calls + 10 + budget.Ratio*calls + budget.MinPerSecond*elapsed
	if got := float64(hits.Load()); got > bound || got < calls {
		t.Fatalf("%v attempts for %d calls in %.2fs, want at most %.1f (without the budget: %d)", got, calls, elapsed, bound, 4*calls)
	}
	// Each call ends either refused by the budget (once) or after max_retries allowed retries.
	if retries, denied := hits.Load()-calls, c.RetryBudgetDenied(); calls-denied > retries/3 || denied > calls {
		t.Fatalf("denied %d with %d retries allowed for %d calls", denied, retries, calls)
	}
}

// capacityServer is a service of known capacity on a real socket: workers calls run at once
// for work each, queue more wait, and past that it answers 450 as an EAS instance does.
type capacityServer struct {
	*httptest.Server
	slots, queue    chan struct{}
	busy, ok, inNow atomic.Int64
	peak            atomic.Int64
}

func newCapacityServer(workers, queue int, work time.Duration) *capacityServer {
	s := &capacityServer{slots: make(chan struct{}, workers), queue: make(chan struct{}, workers+queue)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.inNow.Add(1)
		defer s.inNow.Add(-1)
		for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
		}
		body, _ := io.ReadAll(r.Body)
		select {
		case s.queue <- struct{}{}:
		default:
			s.busy.Add(1)
			w.WriteHeader(450)
			io.WriteString(w, "instance queue is full")
			return
		}
		defer func() { <-s.queue }()
		s.slots <- struct{}{}
		time.Sleep(work)
		<-s.slots
		s.ok.Add(1)
		w.Write(body)
	}))
	return s
}

// TestAutoConcurrencyAgainstAnOverloadedService: where fixed concurrency 64 with no retries
// fails items, AutoConcurrency fails none, keeps input order and never has more than
// AdaptiveConcurrency.Max calls in flight.
func TestAutoConcurrencyAgainstAnOverloadedService(t *testing.T) {
	srv := newCapacityServer(2, 4, 2*time.Millisecond)
	defer srv.Close()
	const n = 400
	inputs := make([][]byte, n)
	for i := range inputs {
		inputs[i] = []byte(fmt.Sprintf("item-%03d", i))
	}
	fixed := newTestClient(t, srv.URL, WithMaxRetries(0))
	failed := 0
	for _, r := range fixed.PredictMany(context.Background(), inputs, 64) {
		if r.Err != nil {
			if !errors.Is(r.Err, ErrQueueFull) {
				t.Fatalf("fixed: %v", r.Err)
			}
			failed++
		}
	}
	if failed == 0 {
		t.Fatalf("fixed concurrency 64 failed no item: the service is not overloaded, the test proves nothing")
	}
	srv.busy.Store(0)
	srv.ok.Store(0)
	srv.peak.Store(0)
	auto := newTestClient(t, srv.URL, WithMaxRetries(0), WithAdaptiveConcurrency(AdaptiveConcurrency{Max: 32}))
	res := auto.PredictMany(context.Background(), inputs, AutoConcurrency)
	for i, r := range res {
		if r.Err != nil || string(r.Body) != string(inputs[i]) {
			t.Fatalf("auto result %d: %q %v", i, r.Body, r.Err)
		}
	}
	if srv.ok.Load() != n {
		t.Fatalf("%d successful requests for %d items: an item was sent twice or lost", srv.ok.Load(), n)
	}
	if p := srv.peak.Load(); p > 32 {
		t.Fatalf("peak in flight %d above Max 32", p)
	}
	// Wide margin: the limiter keeps refusals a small share; fixed 64 draws about 90%.
	if busy := srv.busy.Load(); busy > n/2 {
		t.Fatalf("%d refusals for %d items (fixed had %d failures)", busy, n, failed)
	}
	t.Logf("fixed 64: %d/%d failed; auto: 0 failed, %d refusals put back, peak %d", failed, n, srv.busy.Load(), srv.peak.Load())
}

// TestAutoConcurrencyPredictAllStops: the first failure stops new dispatches and is returned.
func TestAutoConcurrencyPredictAllStops(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		if string(body) == "bad" {
			w.WriteHeader(400)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithAdaptiveConcurrency(AdaptiveConcurrency{Max: 1}))
	inputs := [][]byte{[]byte("a"), []byte("bad"), []byte("c"), []byte("d")}
	if _, err := c.PredictAll(context.Background(), inputs, AutoConcurrency); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("PredictAll: %v", err)
	}
	if hits.Load() != 2 {
		t.Fatalf("%d requests, want 2 (nothing after the failure at max 1)", hits.Load())
	}
	out, err := c.PredictAll(context.Background(), [][]byte{[]byte("x"), []byte("y")}, AutoConcurrency)
	if err != nil || string(out[0]) != "x" || string(out[1]) != "y" {
		t.Fatalf("PredictAll: %q %v", out, err)
	}
}

// TestAutoConcurrencyDeadlineWhileWaiting: an item put back whose deadline passes while the
// batch is paused fails unsent (ADAPT-5), with the 450 that put it back as its cause.
func TestAutoConcurrencyDeadlineWhileWaiting(t *testing.T) {
	srv, hits := refuseTwoTogether(t, 1<<30)
	// a and b go at once and are refused: one cut (to 1), both put back. a goes again alone and
	// is refused at min: a pause of 0.999 × 0.4 s (MaxPause raised past the default 0.25 s),
	// past both deadlines (0.3 s). a fails at once; b, waiting, fails at its deadline without a
	// third request.
	c := newTestClient(t, srv.URL, WithDeadline(300*time.Millisecond), WithBackoff(400*time.Millisecond, 5*time.Second),
		WithRandom(func() float64 { return 0.999 }),
		WithAdaptiveConcurrency(AdaptiveConcurrency{Max: 2, Initial: 2, MaxPause: time.Second}))
	start := time.Now()
	res := c.PredictMany(context.Background(), [][]byte{[]byte("a"), []byte("b")}, AutoConcurrency)
	elapsed := time.Since(start)
	for i, r := range res {
		var e *Error
		if !errors.As(r.Err, &e) || e.Kind != KindDeadlineExceeded || !errors.Is(e.Err, ErrQueueFull) || e.Attempts != 1 {
			t.Fatalf("result %d: %#v", i, r.Err)
		}
	}
	if hits.Load() != 3 {
		t.Fatalf("%d requests, want 3 (b is not sent after its deadline)", hits.Load())
	}
	if elapsed < 250*time.Millisecond || elapsed > 2*time.Second {
		t.Fatalf("the batch took %v, want about 0.3 s (b's deadline)", elapsed)
	}
}

// TestAutoConcurrencyPauseCappedAtMaxPause: refused at min, the batch pauses at most MaxPause
// (ADAPT-4), not the client's backoff: with WithBackoff(2 s, …) and jitter 0.999 the pause
// would be about 2 s uncapped, and is 0.25 s with the default MaxPause.
func TestAutoConcurrencyPauseCappedAtMaxPause(t *testing.T) {
	srv, hits := refuseTwoTogether(t, 3) // the third is refused at min: the pause
	c := newTestClient(t, srv.URL, WithDeadline(10*time.Second), WithBackoff(2*time.Second, 5*time.Second),
		WithRandom(func() float64 { return 0.999 }), WithAdaptiveConcurrency(AdaptiveConcurrency{Max: 2, Initial: 2}))
	start := time.Now()
	res := c.PredictMany(context.Background(), [][]byte{[]byte("a"), []byte("b")}, AutoConcurrency)
	elapsed := time.Since(start)
	for i, r := range res {
		if r.Err != nil || string(r.Body) != "ok" {
			t.Fatalf("result %d: %q, %v", i, r.Body, r.Err)
		}
	}
	if hits.Load() != 5 {
		t.Fatalf("%d requests, want 5 (two refused together, one refused at min, two answered)", hits.Load())
	}
	if elapsed < 200*time.Millisecond || elapsed > 1500*time.Millisecond {
		t.Fatalf("the batch took %v, want about 0.25 s (one pause of 0.999 × MaxPause)", elapsed)
	}
}

// refuseTwoTogether serves 450 to the first `refused` requests and "ok" after them. The first
// two are answered together (the first waits for the second), so both items of a two-item
// batch are sent before the first cut and the second 450 is from the old epoch: one cut, to 1.
func refuseTwoTogether(t *testing.T, refused int32) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	hits := new(atomic.Int32)
	both := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		io.Copy(io.Discard, r.Body)
		if n == 2 {
			close(both)
		}
		if n <= 2 {
			select {
			case <-both:
			case <-time.After(5 * time.Second):
			}
		}
		if n <= refused {
			w.WriteHeader(450)
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}
