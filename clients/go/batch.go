package eas

import (
	"context"
	"sync"
)

// Result is one PredictMany outcome: the body, or the error for that input.
type Result struct {
	Body []byte
	Err  error
}

// PredictMany predicts every input with at most concurrency calls in flight (at least 1;
// DefaultConcurrency is 16) and returns one Result per input in input order (BATCH-1). Failures stay in
// their Result; inputs not started when ctx ends get ctx's error.
//
// With AutoConcurrency the in-flight count adapts to what the service takes (ADAPT-*): it
// grows while calls succeed and is cut when the service refuses (450, 429, 503, 504, 408)
// or times out, and an input refused with 450 or 429 waits and is sent again, without
// spending its retries, until WithDeadline (if any) has passed since its first send.
//
//	for i, r := range c.PredictMany(ctx, inputs, 32) {
//		if r.Err != nil { log.Printf("input %d: %v", i, r.Err) }
//	}
func (c *Client) PredictMany(ctx context.Context, inputs [][]byte, concurrency int) []Result {
	payloads := make([]Payload, len(inputs))
	for i, in := range inputs {
		payloads[i] = Bytes(in)
	}
	results, _ := c.batch(ctx, payloads, concurrency, false)
	return results
}

// PredictAll is PredictMany that stops at the first failure: it takes no new input after
// it, lets calls in flight finish and returns that error; on success, the bodies in order.
func (c *Client) PredictAll(ctx context.Context, inputs [][]byte, concurrency int) ([][]byte, error) {
	payloads := make([]Payload, len(inputs))
	for i, in := range inputs {
		payloads[i] = Bytes(in)
	}
	results, failure := c.batch(ctx, payloads, concurrency, true)
	if failure != nil {
		return nil, failure
	}
	out := make([][]byte, len(results))
	for i, r := range results {
		out[i] = r.Body
	}
	return out, nil
}

// batch runs the payloads and returns the results and the first failure in time; with
// stopOnError that failure stops new calls and inputs never started keep a zero Result.
func (c *Client) batch(ctx context.Context, payloads []Payload, concurrency int, stopOnError bool) ([]Result, error) {
	results := make([]Result, len(payloads))
	if ctx == nil {
		err := configError("PredictMany needs a context; pass context.Background() when there is none")
		for i := range results {
			results[i].Err = err
		}
		return results, err
	}
	if concurrency == AutoConcurrency {
		return c.adaptiveBatch(ctx, payloads, stopOnError)
	}
	if concurrency < 1 {
		err := configError("concurrency must be at least 1, or eas.AutoConcurrency for an adaptive limit; got %d", concurrency)
		for i := range results {
			results[i].Err = err
		}
		return results, err
	}
	var (
		mu      sync.Mutex
		next    int
		failure error
		wg      sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= len(payloads) || (stopOnError && failure != nil) {
			return 0, false
		}
		next++
		return next - 1, true
	}
	for range min(concurrency, len(payloads)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var req Request // one per worker: do keeps no reference to it
			for {
				i, ok := take()
				if !ok {
					return
				}
				if err := ctx.Err(); err != nil {
					results[i].Err = c.contextError(err, 0, nil, nil)
					continue
				}
				req.Body = payloads[i]
				resp, err := c.do(ctx, &req)
				if err != nil {
					results[i].Err = err
					mu.Lock()
					if failure == nil {
						failure = err
					}
					mu.Unlock()
					continue
				}
				results[i].Body = resp.Body
			}
		}()
	}
	wg.Wait()
	return results, failure
}
