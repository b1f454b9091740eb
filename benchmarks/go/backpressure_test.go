package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	eas "github.com/eas-client/eas-client/clients/go"
)

// TestBackpressure is the Go rows of the back-pressure benchmark (spec §14): a batch against
// examples/capacity under `eas serve` (2 workers × 5 ms, queue 4), fixed concurrency against
// eas.AutoConcurrency, and the retry budget against a service answering 503 to everything.
// backpressure.sh starts both services and sets the variables; without them it is skipped.
func TestBackpressure(t *testing.T) {
	capURL, failURL := os.Getenv("EAS_BP_CAPACITY_URL"), os.Getenv("EAS_BP_503_URL")
	token := os.Getenv("EAS_BP_TOKEN")
	if capURL == "" || failURL == "" {
		t.Skip("run benchmarks/go/backpressure.sh (it starts the capacity services)")
	}
	inputs := 5000
	if n, err := strconv.Atoi(os.Getenv("EAS_BP_INPUTS")); err == nil && n > 0 {
		inputs = n
	}
	rows := make([][]byte, inputs)
	for i := range rows {
		rows[i] = []byte(fmt.Sprintf("row-%d", i))
	}
	type run struct {
		name        string
		concurrency int
		opts        []eas.Option
	}
	runs := []run{
		{"fixed 6 (the measured capacity)", 6, nil},
		{"auto (max 64)", eas.AutoConcurrency, nil},
		{"fixed 64, no budget (before)", 64, []eas.Option{eas.WithRetryBudget(nil)}},
		{"fixed 64 with the retry budget", 64, nil},
		{"auto (max 64), again", eas.AutoConcurrency, nil},
		{"fixed 6, again", 6, nil},
	}
	fmt.Printf("| run | seconds | failed items | goodput (items/s) | vs capacity | requests | 450/429 | retries + put-backs |\n")
	fmt.Printf("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	capacity := 0.0
	for _, r := range runs {
		c, err := eas.NewClient(capURL+"/api/predict/capacity", token, r.opts...)
		if err != nil {
			t.Fatal(err)
		}
		before := stats(t, capURL, token)
		start := time.Now()
		res := c.PredictMany(context.Background(), rows, r.concurrency)
		secs := time.Since(start).Seconds()
		after := stats(t, capURL, token)
		c.Close()
		failed := 0
		for _, x := range res {
			if x.Err != nil {
				failed++
			}
		}
		reqs := after.Requests - before.Requests
		refused := after.Statuses["450"] + after.Statuses["429"] - before.Statuses["450"] - before.Statuses["429"]
		goodput := float64(inputs-failed) / secs
		if r.concurrency == 6 && capacity == 0 {
			capacity = goodput
		}
		fmt.Printf("| %s | %.2f | %d | %.0f | %.2f | %d | %.1f%% | %.1f%% |\n", r.name, secs, failed, goodput, goodput/capacity,
			reqs, 100*float64(refused)/float64(max(1, reqs)), 100*float64(max(0, reqs-inputs))/float64(max(1, reqs)))
	}
	// Four adaptive clients at once, a quarter of the inputs each: do they share the service?
	// The 5 s row is ADAPT-4 before max_pause (pauses at min grew up to backoff_max), side by
	// side with the default so the machine's load hits both alike.
	fourClients(t, capURL, token, rows, capacity, "max_pause 0.25 s (the default)", eas.AdaptiveConcurrency{})
	fourClients(t, capURL, token, rows, capacity, "max_pause 5 s (= backoff_max: uncapped, as before)", eas.AdaptiveConcurrency{MaxPause: 5 * time.Second})
	fourClients(t, capURL, token, rows, capacity, "max_pause 0.25 s (the default), again", eas.AdaptiveConcurrency{})

	const calls = 2000
	for _, budget := range []bool{true, false} {
		opts := []eas.Option{eas.WithMaxRetries(3), eas.WithBackoff(10*time.Millisecond, 5*time.Second)}
		if !budget {
			opts = append(opts, eas.WithRetryBudget(nil))
		}
		c, err := eas.NewClient(failURL+"/api/predict/capacity", token, opts...)
		if err != nil {
			t.Fatal(err)
		}
		before := stats(t, failURL, token)
		start := time.Now()
		c.PredictMany(context.Background(), make([][]byte, calls), 64)
		secs := time.Since(start).Seconds()
		attempts := stats(t, failURL, token).Requests - before.Requests
		fmt.Printf("all-503, %d calls, max_retries 3, concurrency 64, budget %t: %d attempts in %.2f s, %d retries refused; bound (1 + 0.1) × calls + 100 + 10/s × T = %.0f; without a budget (1 + 3) × calls = %d\n",
			calls, budget, attempts, secs, c.RetryBudgetDenied(), 1.1*calls+100+10*secs, 4*calls)
		c.Close()
	}
}

// fourClients runs four adaptive clients together, each with its own Client and a quarter of
// rows, and prints each one's goodput and the fastest/slowest ratio.
func fourClients(t *testing.T, capURL, token string, rows [][]byte, capacity float64, label string, a eas.AdaptiveConcurrency) {
	inputs := len(rows)
	var wg sync.WaitGroup
	rates, fails := make([]float64, 4), make([]int, 4)
	before := stats(t, capURL, token)
	start := time.Now()
	for k := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := eas.NewClient(capURL+"/api/predict/capacity", token, eas.WithAdaptiveConcurrency(a))
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			t0 := time.Now()
			res := c.PredictMany(context.Background(), rows[k*inputs/4:(k+1)*inputs/4], eas.AutoConcurrency)
			for _, x := range res {
				if x.Err != nil {
					fails[k]++
				}
			}
			rates[k] = float64(len(res)-fails[k]) / time.Since(t0).Seconds()
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	after := stats(t, capURL, token)
	lo, hi := rates[0], rates[0]
	for _, r := range rates {
		lo, hi = min(lo, r), max(hi, r)
	}
	reqs := after.Requests - before.Requests
	refused := after.Statuses["450"] + after.Statuses["429"] - before.Statuses["450"] - before.Statuses["429"]
	fmt.Printf("four adaptive clients at once, %s (%d inputs each): goodput %.0f, %.0f, %.0f, %.0f items/s (total %.0f, %.2f× capacity); fastest/slowest %.2f; failed items %d; %d requests, %.1f%% refused\n",
		label, inputs/4, rates[0], rates[1], rates[2], rates[3], float64(inputs)/secs, float64(inputs)/secs/capacity, hi/lo,
		fails[0]+fails[1]+fails[2]+fails[3], reqs, 100*float64(refused)/float64(max(1, reqs)))
}

type serverStats struct {
	Requests int            `json:"requests"`
	Statuses map[string]int `json:"statuses"`
}

func stats(t *testing.T, base, token string) serverStats {
	req, _ := http.NewRequest(http.MethodGet, base+"/_admin/stats", nil)
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s serverStats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}
